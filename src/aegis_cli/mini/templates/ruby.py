"""Ruby: Rails controllers, ActiveRecord, plain scripts; Sinatra is held out."""

from __future__ import annotations

import random
from typing import ClassVar

from aegis_cli.mini.engine import (
    Bag,
    FileParts,
    Framework,
    Kit,
    S,
    San,
    Source,
    V,
    fill,
    fillers,
    join_blocks,
    make_spec,
    uses,
)
from aegis_cli.mini.vocab import NameStyle

L = "ruby"


def spec(cwe, items, sanitizers=(), weight=1.0):
    return make_spec(L, cwe, items, list(sanitizers), weight)


RAILS = Framework(
    name="rails",
    sources=(
        Source(expr="params[:«key»]"), Source(expr='params.fetch(:«key», "")'), Source(expr='request.headers["«hdr»"]'),
        Source(expr="cookies[:«key»]"), Source(expr="params[:«key»].to_s"), Source(expr="params.require(:«key»)"),
    ),
    handler="def «fn»\n    «body»\nend",
    responses=('render json: { status: "ok" }', "head :no_content", 'render plain: "«msg»"'),
    bail="return head(:bad_request)",
    wrapper="class «main_cls» < ApplicationController\n    «members»\nend",
)

SCRIPT = Framework(
    name="script",
    sources=(Source(param="«v»"), Source(expr="ARGV[0]"), Source(expr='ENV.fetch("«CONST»", "")'), Source(expr="gets.to_s.chomp")),
    handler="def «fn»(«params»)\n    «body»\nend",
    responses=("true", 'puts "«msg»"', "nil"),
    bail='raise ArgumentError, "«msg»"',
)

SINATRA = Framework(
    name="sinatra",
    held=True,
    imports=("sinatra",),
    sources=(Source(expr='params["«key»"]'), Source(expr="params[:«key»]"), Source(expr='request.env["HTTP_X_«CONST»"]')),
    handler='«method_l» "«route»" do\n    «body»\nend',
    responses=('"«msg»"', 'status 204\n""', 'content_type :json\n{ status: "ok" }.to_json'),
    bail='halt 400, "«msg»"',
)

WEB = ("rails", "sinatra")

SPECS = [
    spec("CWE-89", [
        V('«id» = ⟦«Cls».where("«col» = \'#{«v»}\'")⟧'),
        V('«id» = ⟦ActiveRecord::Base.connection.execute("SELECT * FROM «tbl» WHERE «col» = \'" + «v» + "\'")⟧'),
        V('«id» = ⟦«Cls».find_by_sql("SELECT * FROM «tbl» WHERE «col» LIKE \'%#{«v»}%\'")⟧'),
        V("«id» = ⟦«Cls».order(«v»)⟧", held=True),
        S("«id» = «Cls».where(«col»: «v»)"),
        S('«id» = «Cls».where("«col» = ?", «v»)'),
        S("«id» = «Cls».find_by(«col»: «v»)"),
        S('«id» = «Cls».order(«col»: :desc)', held=True),
    ], [San("«out» = Integer(«in»).to_s"), San("«bail» unless «in».match?(/\\A\\w+\\z/)", guard=True)], weight=1.5),
    spec("CWE-78", [
        V('⟦system("«cmd» #{«v»}")⟧'),
        V("«id» = ⟦`«cmd» #{«v»}`⟧"),
        V('«id» = ⟦IO.popen("«cmd» " + «v»)⟧.read'),
        V('«id», _status = ⟦Open3.capture2("«cmd» #{«v»}")⟧', held=True),
        S('system("«prog»", «v»)'),
        S('«id», _status = Open3.capture2("«prog»", «v»)'),
        S('system("«cmd» «dir»")'),
    ], [San("«out» = Shellwords.escape(«in»)")], weight=1.3),
    spec("CWE-79", [
        V('render ⟦html: "<p>#{«v»}</p>".html_safe⟧', frameworks=("rails",), terminal=True),
        V("render ⟦html: raw(«v»)⟧", frameworks=("rails",), terminal=True),
        V('⟦"<h1>«word» #{«v»}</h1>"⟧', frameworks=("sinatra",), terminal=True),
        S('render html: "<p>#{ERB::Util.html_escape(«v»)}</p>".html_safe', frameworks=("rails",), terminal=True),
        S("render plain: «v»", frameworks=("rails",), terminal=True),
        S('"<h1>«word» #{Rack::Utils.escape_html(«v»)}</h1>"', frameworks=("sinatra",), terminal=True),
    ], [San("«out» = ERB::Util.html_escape(«in»)"), San("«out» = CGI.escapeHTML(«in»)", held=True)], weight=1.2),
    spec("CWE-22", [
        V("«id» = ⟦File.read(File.join(«BASE», «v»))⟧"),
        V('⟦send_file("#{«BASE»}/#{«v»}")⟧', frameworks=("rails",)),
        V("⟦File.delete(Rails.root.join(\"«word»\", «v»))⟧", frameworks=("rails",), held=True),
        S("«id» = File.read(File.join(«BASE», File.basename(«v»)))"),
        S('«id» = File.expand_path(«v», «BASE»)\n«bail» unless «id».start_with?(«BASE» + "/")\n«id2» = File.read(«id»)'),
        S('«id» = File.read(File.join(«BASE», "«file»"))'),
    ], [San("«out» = File.basename(«in»)")], weight=1.2),
    spec("CWE-94", [
        V("«id» = ⟦«v».constantize⟧.new"),
        V("«id» = ⟦«Cls».new.send(«v»)⟧"),
        V("render ⟦inline: «v»⟧", frameworks=("rails",), terminal=True),
        V("«id» = ⟦instance_eval(«v»)⟧", held=True),
        S('«id» = { "«word»" => «Cls», "«word2»" => «Cls» }.fetch(«v», «Cls»).new'),
        S('«id» = «Cls».new.public_send(«v») if %w[«word» «word2»].include?(«v»)'),
        S('render inline: "<p><%= «id» %></p>", locals: { «id»: «v» }', frameworks=("rails",), terminal=True),
    ], weight=0.8),
    spec("CWE-95", [
        V("«id» = ⟦eval(«v»)⟧"),
        V('«id» = ⟦eval("«word»_" + «v»)⟧', held=True),
        S("«id» = Integer(«v»)"),
        S("«id» = JSON.parse(«v»)"),
    ], weight=0.7),
    spec("CWE-502", [
        V("«id» = ⟦Marshal.load(Base64.decode64(«v»))⟧"),
        V("«id» = ⟦YAML.unsafe_load(«v»)⟧"),
        V("«id» = ⟦Oj.load(«v»)⟧", held=True),
        S("«id» = YAML.safe_load(«v»)"),
        S("«id» = JSON.parse(«v»)"),
        S("«id» = Oj.load(«v», mode: :strict)", held=True),
    ], weight=1.0),
    spec("CWE-798", [
        V('⟦«SEC» = "«secret»"⟧', kind="module"),
        V('⟦Stripe.api_key = "sk_live_«secret»"⟧', kind="plain"),
        V('«id» = Mysql2::Client.new(host: "«host»", username: "«word»", ⟦password: "«pw»"⟧)', kind="plain"),
        S('«SEC» = ENV.fetch("«SEC»")', kind="module"),
        S('Stripe.api_key = ENV["STRIPE_API_KEY"]', kind="plain"),
        S('«id» = Mysql2::Client.new(host: "«host»", username: "«word»", password: ENV["«SEC»"])', kind="plain"),
        S('«CONST» = "«word»"', kind="module"),
    ], weight=1.0),
    spec("CWE-328", [
        V("«id» = ⟦Digest::MD5.hexdigest(«v»)⟧", kind="plain"),
        V("«id» = ⟦Digest::SHA1.hexdigest(«v»)⟧", kind="plain"),
        S("«id» = BCrypt::Password.create(«v»)", kind="plain"),
        S("«id» = Digest::SHA256.hexdigest(«v»)", kind="plain"),
    ], weight=0.8),
    spec("CWE-338", [
        V("«sec» = ⟦rand(1_000_000)⟧.to_s.rjust(6, \"0\")", kind="plain"),
        V("«sec» = ⟦Random.new.bytes(16)⟧.unpack1(\"H*\")", kind="plain", held=True),
        S("«sec» = SecureRandom.hex(32)", kind="plain"),
        S("«sec» = SecureRandom.random_number(1_000_000)", kind="plain"),
        S("«id» = [1, 2, 3].sample", kind="plain"),
    ], weight=0.8),
    spec("CWE-295", [
        V('«id» = Net::HTTP.new("«host»", 443)\n«id».use_ssl = true\n⟦«id».verify_mode = OpenSSL::SSL::VERIFY_NONE⟧', kind="plain"),
        V('«id» = Faraday.new("«url»", ⟦ssl: { verify: false }⟧)', kind="plain", held=True),
        S('«id» = Net::HTTP.new("«host»", 443)\n«id».use_ssl = true\n«id».verify_mode = OpenSSL::SSL::VERIFY_PEER', kind="plain"),
        S('«id» = Faraday.new("«url»")', kind="plain"),
    ], weight=0.7),
    spec("CWE-611", [
        V("«id» = ⟦Nokogiri::XML(«v») { |config| config.noent }⟧"),
        V("«id» = ⟦Nokogiri::XML(«v», nil, nil, Nokogiri::XML::ParseOptions::DTDLOAD | Nokogiri::XML::ParseOptions::NOENT)⟧", held=True),
        S("«id» = Nokogiri::XML(«v»)"),
        S("«id» = Nokogiri::XML(«v») { |config| config.strict.nonet }"),
    ], weight=0.6),
    spec("CWE-918", [
        V("«id» = ⟦Net::HTTP.get(URI(«v»))⟧"),
        V("«id» = ⟦HTTParty.get(«v»)⟧"),
        V('«id» = ⟦URI.open("http://#{«v»}/«word»")⟧.read', held=True, sanitizable=False),
        S('«id» = Net::HTTP.get(URI("«url»?«key»=#{CGI.escape(«v»)}"))'),
        S('«id» = HTTParty.get("«url»", query: { «key»: «v» })'),
    ], [San('«bail» unless URI(«in»).host == "«host»"', guard=True)], weight=0.9),
    spec("CWE-601", [
        V("⟦redirect_to «v»⟧", frameworks=("rails",), terminal=True),
        V("⟦redirect_to «v», allow_other_host: true⟧", frameworks=("rails",), terminal=True),
        V("⟦redirect «v»⟧", frameworks=("sinatra",), terminal=True),
        S("redirect_to root_path", frameworks=("rails",), terminal=True),
        S("redirect_to url_from(«v») || root_path", frameworks=("rails",), terminal=True),
        S('redirect "/«word»"', frameworks=("sinatra",), terminal=True),
    ], [San('«bail» unless «in».start_with?("/") && !«in».start_with?("//")', guard=True)]),
    spec("CWE-117", [
        V('⟦Rails.logger.info("«msg»: #{«v»}")⟧', frameworks=("rails",)),
        V('⟦«log».warn("«msg» " + «v»)⟧'),
        S('Rails.logger.info("«msg»: #{«v».inspect}")', frameworks=("rails",)),
        S('«log».warn("«msg» (#{«v».length} chars)")'),
    ], [San('«out» = «in».gsub(/[\\r\\n]/, "")')], weight=0.5),
    spec("CWE-532", [
        V('⟦Rails.logger.info("login #{«v»} password=#{params[:password]}")⟧', kind="plain", frameworks=("rails",)),
        V('⟦«log».debug("api key #{ENV["«SEC»"]}")⟧', kind="plain"),
        S('Rails.logger.info("login attempt for #{«v»}")', kind="plain", frameworks=("rails",)),
        S('«log».debug("api key present: #{ENV.key?("«SEC»")}")', kind="plain"),
    ], weight=0.4),
    spec("CWE-209", [
        V("begin\n    «id» = Integer(«v»)\nrescue StandardError => e\n    render ⟦plain: e.backtrace.join(\"\\n\")⟧, status: 500\nend",
          frameworks=("rails",)),
        V("begin\n    «id» = Integer(«v»)\nrescue StandardError => e\n    render ⟦json: { error: e.message, trace: e.backtrace }⟧, status: 500\nend",
          frameworks=("rails",), held=True),
        S('begin\n    «id» = Integer(«v»)\nrescue StandardError => e\n    Rails.logger.error(e.full_message)\n    render json: { error: "internal error" }, status: 500\nend',
          frameworks=("rails",)),
    ], weight=0.4),
    spec("CWE-614", [
        V("⟦cookies[:session] = «v»⟧", kind="plain", frameworks=("rails",)),
        V("⟦cookies[:«key»] = { value: «v», httponly: true }⟧", kind="plain", frameworks=("rails",)),
        S("cookies[:session] = { value: «v», secure: true, httponly: true, same_site: :strict }", kind="plain", frameworks=("rails",)),
    ], weight=0.4),
    spec("CWE-352", [
        V("⟦skip_before_action :verify_authenticity_token⟧", kind="module", frameworks=("rails",)),
        V("⟦protect_from_forgery with: :null_session⟧", kind="module", frameworks=("rails",), held=True),
        S("protect_from_forgery with: :exception", kind="module", frameworks=("rails",)),
    ], weight=0.3),
    spec("CWE-1333", [
        V("«id» = ⟦Regexp.new(«v»)⟧"),
        V("«id» = ⟦«v» =~ /\\A(\\w+\\s?)*\\z/⟧", sanitizable=False),
        S("«id» = Regexp.new(Regexp.escape(«v»))"),
        S("«id» = «v».match?(/\\A\\w+\\z/)"),
    ], [San("«out» = Regexp.escape(«in»)")], weight=0.4),
]

MODULE_FILLERS = fillers(L, "module", [
    "def «fn»(«id»)\n    «id».sum { |x| x.fetch(:«key», 0) }\nend",
    "«CONST» = {\n    «key»: «num»,\n    «key2»: \"«word»\"\n}.freeze",
    "# «doc»\ndef «fn»(«id», limit = «num»)\n    «id».length > limit ? «id»[0, limit] + \"...\" : «id»\nend",
    ("class «Cls»\n    attr_reader :«id»\n\n    def initialize(«id»)\n        @«id» = «id»\n    end\n\n    def «fn»\n        @«id».to_s.strip\n    end\nend",
     {"skip_frameworks": ("rails",)}),
    "def «fn»(«id»)\n    «id».group_by { |x| x[:«key»] }\nend",
    "def «fn»(«id» = Time.now)\n    «id».utc.strftime(\"%Y-%m-%d\")\nend",
    ("«Cls» = Struct.new(:«id», :«id2»)", {"held": True, "skip_frameworks": ("rails",)}),
    'def «fn»(«id»)\n    «id».to_s.split(",").map(&:strip).reject(&:empty?)\nend',
    'def «fn»(«id»)\n    case «id»\n    when "«word»" then 1\n    when "«word2»" then 2\n    else 0\n    end\nend',
    "def «fn»(«id»)\n    «id».each_with_object(Hash.new(0)) { |x, acc| acc[x] += 1 }\nend",
    ("module «Cls»\n    «CONST» = «num»\nend", {"held": True}),
])
STMT_FILLERS = fillers(L, "stmt", [
    "«id» = Time.now", "# «doc»", "«id» = []", "«id» = { «key»: «num» }", '«log».debug("«msg»")',
    ("# TODO: «msg»", {"held": True}),
])

_REQUIRES = (("Open3.", "open3"), ("Shellwords.", "shellwords"), ("Base64.", "base64"), ("YAML.", "yaml"),
             ("JSON.", "json"), ("Digest::", "digest"), ("SecureRandom.", "securerandom"), ("Net::HTTP", "net/http"),
             ("Nokogiri::", "nokogiri"), ("HTTParty.", "httparty"), ("URI.open", "open-uri"), ("BCrypt::", "bcrypt"),
             ("Oj.", "oj"), ("CGI.", "cgi"), ("Logger.", "logger"), ("Mysql2::", "mysql2"), ("Faraday.", "faraday"),
             ("ERB::", "erb"), ("OpenSSL::", "openssl"))


class RubyKit(Kit):
    name = L
    ext = ".rb"
    hash_comments = True
    quote_restyle = True
    keep_quotes_if = "#"
    style = NameStyle(var="snake", func="snake")
    indents = (("  ", 1.0),)
    frameworks = (RAILS, SCRIPT, SINATRA)
    specs = tuple(SPECS)
    fillers = MODULE_FILLERS + STMT_FILLERS
    transforms = ("«out» = «in».to_s.strip", "«out» = «in».downcase", "«out» = «in».to_s")
    neutral_uses = ("«bail» if «var».to_s.length > «num»", '«log».debug("«msg» #{«var».to_s.length}")')
    helper_bail = 'raise ArgumentError, "«msg»"'
    file_slots: ClassVar[dict[str, tuple[str, ...]]] = {"BASE": ("BASE_DIR", "UPLOAD_DIR", "STORAGE_ROOT"), "log": ("LOGGER", "logger")}
    slot_decls: ClassVar[dict[str, str]] = {"BASE": '«BASE» = "«dir»"', "log": "«log» = Logger.new($stdout)"}

    def file_slot_makers(self, rng: random.Random):
        makers = super().file_slot_makers(rng)
        makers["main_cls"] = lambda bag: bag.namer.cls().removesuffix("Controller") + "Controller"
        makers["log"] = lambda bag: "Rails.logger" if bag["framework"] == "rails" else rng.choice(("LOGGER", "logger"))
        return makers

    def assign(self, var: str, expr: str) -> str:
        return f"{var} = {expr}"

    def call(self, fn: str, args: list[str], bag: Bag) -> str:
        return f"{fn}({', '.join(args)})"

    def helper(self, fn: str, params: list[str], body: str, bag: Bag) -> str:
        doc = "# «doc»\n" if bag.namer.rng.random() < 0.3 else ""
        return fill(f"{doc}def {fn}({', '.join(params)})\n    «body»\nend", bag.child(body=body))

    def path(self, rng: random.Random, namer, framework: Framework, bag: Bag) -> str:
        if framework.name == "rails":
            return f"app/controllers/{_snake(bag['main_cls'])}.rb"
        return f"{rng.choice(('lib', 'app', 'scripts'))}/{namer.func()}.rb"

    def render(self, parts: FileParts, framework: Framework, bag: Bag, rng: random.Random) -> str:
        blocks = join_blocks(parts.blocks, 1)
        decls = [d for d in parts.decls if not d.startswith("Rails.logger =")]
        if framework.name == "rails":
            consts = [d for d in decls if d.split("=")[0].strip().isupper()]
            members = join_blocks([x for x in ("\n".join(consts), blocks) if x], 1)
            body = fill(framework.wrapper, bag.child(members=members))
            decls = [d for d in decls if d not in consts]
        else:
            body = blocks
        text = "\n\n".join(x for x in ("\n".join(decls), body) if x)
        requires = list(parts.imports)
        for trigger, lib in _REQUIRES:
            if lib not in requires and uses(text, trigger):
                requires.append(lib)
        head = []
        if rng.random() < 0.5:
            head.append("# frozen_string_literal: true")
        if requires:
            head.append("\n".join(f'require "{r}"' for r in requires))
        return "\n\n".join(x for x in ("\n".join(head), text) if x) + "\n"


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i:
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


KIT = RubyKit()
