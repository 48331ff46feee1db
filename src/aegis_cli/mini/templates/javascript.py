"""JavaScript and TypeScript: Express, Koa, node:http, browser DOM code, libraries; Fastify is held out.

Both kits share the templates; TypeScript fills the type slots («T_str», «T_req» …) with
annotations and always uses ES modules. Imports are written ``module|binding`` (``express|express``,
``child_process|{ exec }``) and rendered as ``require`` or ``import`` per file.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace
from typing import ClassVar

from aegis_cli.mini.engine import (
    Bag,
    FileParts,
    Framework,
    Kit,
    S,
    San,
    Source,
    Spec,
    V,
    fill,
    fillers,
    join_blocks,
    make_spec,
)
from aegis_cli.mini.vocab import NameStyle

EXPRESS = Framework(
    name="express",
    imports=("express|express", "ts:express|{ Request, Response }"),
    decls=("const app = express();", "app.use(express.json());"),
    sources=(
        Source(expr="req.query.«key»«as_str»"), Source(expr="req.body.«key»"), Source(expr="req.params.«key»", route="/:«key»"),
        Source(expr='req.get("«hdr»")«as_str»'), Source(expr='String(req.query.«key» || "")'),
        Source(expr="req.cookies.«key»"), Source(expr='req.header("«hdr»")«as_str»'),
    ),
    handler='app.«method_l»("«route»", «async_kw»(req«T_req», res«T_res») => {\n    «body»\n});',
    alt_handlers=('«async_kw»function «fn»(req«T_req», res«T_res») {\n    «body»\n}\n\napp.«method_l»("«route»", «fn»);',),
    responses=("res.json({ ok: true });", "res.sendStatus(204);", "res.status(200).json({ «key»: «num» });",
               'return res.send("«msg»");'),
    bail='return res.status(400).send("«msg»");',
    footer="app.listen(«port», () => {\n    console.log(`listening on «port»`);\n});",
)

KOA = Framework(
    name="koa",
    imports=("koa|Koa", "@koa/router|Router", "ts:koa|{ Context }"),
    decls=("const app = new Koa();", "const router = new Router();"),
    sources=(
        Source(expr="ctx.query.«key»«as_str»"), Source(expr="ctx.request.body.«key»"),
        Source(expr="ctx.params.«key»", route="/:«key»"), Source(expr='ctx.get("«hdr»")'),
        Source(expr='ctx.cookies.get("«key»")«as_str»'),
    ),
    handler='router.«method_l»("«route»", async (ctx«T_ctx») => {\n    «body»\n});',
    responses=("ctx.body = { ok: true };", "ctx.status = 204;", 'ctx.body = { «key»: "«word»" };'),
    bail='ctx.throw(400, "«msg»");',
    footer="app.use(router.routes());\napp.listen(«port»);",
)

NODE_HTTP = Framework(
    name="node-http",
    imports=("http|http", "ts:http|{ IncomingMessage, ServerResponse }"),
    sources=(
        Source(expr='url.searchParams.get("«key»")«as_str»'), Source(expr='req.headers["x-«key»"]«as_str»'),
        Source(expr='url.searchParams.get("«key»") || ""'),
    ),
    handler='function «fn»(req«T_inc», res«T_srv») {\n    const url = new URL(req.url«nn», "http://localhost");\n    «body»\n}',
    responses=('res.writeHead(200, { "Content-Type": "application/json" });\nres.end(JSON.stringify({ ok: true }));',
               'res.end("«msg»");', "res.statusCode = 204;\nres.end();"),
    bail='res.statusCode = 400;\nreturn res.end("«msg»");',
    footer="http.createServer((req, res) => «first»(req, res)).listen(«port»);",
)

BROWSER = Framework(
    name="browser",
    tagged_only=True,
    sources=(
        Source(expr='new URLSearchParams(window.location.search).get("«key»")«nn»'),
        Source(expr="decodeURIComponent(window.location.hash.slice(1))"),
        Source(expr='(document.getElementById("«word»")«as_input»).value'),
        Source(expr='localStorage.getItem("«key»")«nn»'),
    ),
    handler="function «fn»() {\n    «body»\n}",
    alt_handlers=('document.addEventListener("DOMContentLoaded", () => {\n    «body»\n});',),
    responses=("return true;", 'console.debug("«msg»");', "return;"),
    bail="return;",
)

LIBRARY = Framework(
    name="library",
    sources=(
        Source(param="«v»«T_str»"), Source(expr="process.argv[2]"), Source(expr='process.env.«CONST» || ""'),
        Source(param="«v»«T_str»"),
    ),
    handler="«export_kw»function «fn»(«params») {\n    «body»\n}",
    alt_handlers=("«export_kw»async function «fn»(«params») {\n    «body»\n}",),
    responses=("return true;", "return null;", 'console.log("«msg»");', "return «num»;"),
    bail='throw new Error("«msg»");',
)

FASTIFY = Framework(
    name="fastify",
    held=True,
    imports=("fastify|Fastify", "ts:fastify|{ FastifyRequest, FastifyReply }"),
    decls=("const fastify = Fastify({ logger: true });",),
    sources=(
        Source(expr="request.query.«key»"), Source(expr="request.body.«key»"),
        Source(expr="request.params.«key»", route="/:«key»"), Source(expr='request.headers["x-«key»"]'),
    ),
    handler='fastify.«method_l»("«route»", async (request«T_freq», reply«T_frep») => {\n    «body»\n});',
    responses=("return { ok: true };", "return reply.code(204).send();", "return reply.send({ «key»: «num» });"),
    bail='return reply.code(400).send({ error: "«msg»" });',
    footer="fastify.listen({ port: «port» });",
)

WEB = ("express", "koa", "node-http", "fastify")
_ARROW = re.compile(r"\((?:[^()]|\([^()]*\))*\)\s*=>")
SQL_SAN = [
    San("const «out» = parseInt(«in», 10);"),
    San("if (!/^[A-Za-z0-9_]+$/.test(«in»)) {\n    «bail»\n}", guard=True),
    San("const «out» = Number(«in»);\nif (!Number.isInteger(«out»)) {\n    «bail»\n}", held=True),
]


_BROWSER_CWES = {"CWE-94", "CWE-95", "CWE-338", "CWE-532", "CWE-798", "CWE-1321", "CWE-1333"}
_NODE_ONLY = ("vm.", "Buffer", "randomBytes", "randomInt", "_.", "jwt.", "mysql.", "«log»", "serialize")


def _browser_ok(spec: Spec) -> Spec:
    """Generic variants that also make sense in browser code get the "browser" context."""
    if spec.cwe not in _BROWSER_CWES:
        return spec
    variants = tuple(
        v if v.frameworks or any(t in v.code for t in _NODE_ONLY) else replace(v, contexts=("browser",))
        for v in spec.variants
    )
    return replace(spec, variants=variants)


def _specs(lang: str) -> list:
    def spec(cwe, items, sanitizers=(), weight=1.0):
        return _browser_ok(make_spec(lang, cwe, items, list(sanitizers), weight))

    return [
        spec("CWE-89", [
            V('⟦«db».query("SELECT * FROM «tbl» WHERE «col» = \'" + «v» + "\'", (err, rows) => {⟧\n    if (err) throw err;\n    console.log(rows.length);\n});'),
            V("const «id» = ⟦await «pg».query(`SELECT «col», «col2» FROM «tbl» WHERE «col3» = '${«v»}'`)⟧;"),
            V('const «id» = "DELETE FROM «tbl» WHERE «col» = " + «v»;\n⟦«db».query(«id»)⟧;'),
            V("const «id» = ⟦await sequelize.query(`SELECT * FROM «tbl» WHERE «col» LIKE '%${«v»}%'`)⟧;"),
            V("⟦«sqlite».all(\n    \"SELECT «col» FROM «tbl» WHERE «col2» = '\" + «v» + \"'\",\n    (err, rows) => console.log(rows)\n)⟧;"),
            V("const «id» = ⟦await knex.raw(`UPDATE «tbl» SET «col» = 0 WHERE «col2» = '${«v»}'`)⟧;", held=True),
            V("const «id» = `SELECT * FROM «tbl» ORDER BY ${«v»}`;\nconst «id2» = ⟦await «pg».query(«id»)⟧;", held=True),
            S('«db».query("SELECT * FROM «tbl» WHERE «col» = ?", [«v»], (err, rows) => {\n    if (err) throw err;\n    console.log(rows.length);\n});'),
            S("const «id» = await «pg».query(\"SELECT «col», «col2» FROM «tbl» WHERE «col3» = $1\", [«v»]);"),
            S('const «id» = await sequelize.query("SELECT * FROM «tbl» WHERE «col» = :«col»", {\n    replacements: { «col»: «v» },\n});'),
            S('const «id» = await knex("«tbl»").where({ «col»: «v» }).first();'),
            S('«sqlite».all("SELECT «col» FROM «tbl» WHERE «col2» = ?", [«v»], (err, rows) => console.log(rows));'),
            S('const «id» = await «pg».query("SELECT COUNT(*) FROM «tbl»");'),
            S("const «id» = await «Cls».findAll({ where: { «col»: «v» } });", held=True),
        ], SQL_SAN, weight=1.6),
        spec("CWE-78", [
            V('⟦exec("«cmd» " + «v», (err, stdout) => {⟧\n    console.log(stdout);\n});'),
            V("const «id» = ⟦execSync(`«cmd» ${«v»}`)⟧.toString();"),
            V('⟦child_process.exec(`«cmd» ${«v»}`)⟧;'),
            V('const «id» = ⟦spawn("sh", ["-c", "«cmd» " + «v»])⟧;'),
            V('const «id» = ⟦spawn(`«cmd» ${«v»}`, { shell: true })⟧;'),
            V('const «id» = "«cmd» " + «v»;\n⟦execSync(«id», { stdio: "inherit" })⟧;', held=True),
            S('execFile("«prog»", [«v»], (err, stdout) => {\n    console.log(stdout);\n});'),
            S('const «id» = spawn("«prog»", [«v»]);'),
            S('const «id» = execFileSync("«prog»", ["--", «v»]).toString();'),
            S('const «id» = execSync("«cmd» «dir»").toString();'),
            S('const «id» = spawn("«prog»", [«v»], { shell: false });', held=True),
        ], [San("if (!/^[\\w.-]+$/.test(«in»)) {\n    «bail»\n}", guard=True),
            San('const «out» = «in».replace(/[^\\w.-]/g, "");', held=True)], weight=1.5),
        spec("CWE-79", [
            V('⟦res.send("<h1>«word» " + «v» + "</h1>")⟧;', frameworks=("express",)),
            V("⟦res.write(`<p>${«v»}</p>`)⟧;\nres.end();", frameworks=("express", "node-http")),
            V('⟦ctx.body = "<div>" + «v» + "</div>"⟧;', frameworks=("koa",)),
            V('res.writeHead(200, { "Content-Type": "text/html" });\n⟦res.end("<p>«msg» " + «v» + "</p>")⟧;', frameworks=("node-http",)),
            V('⟦document.getElementById("«word»")«nn».innerHTML = «v»⟧;', frameworks=("browser",)),
            V("⟦document.write(\"<span>\" + «v» + \"</span>\")⟧;", frameworks=("browser",)),
            V('const «id» = document.createElement("div");\n⟦«id».insertAdjacentHTML("beforeend", «v»)⟧;\ndocument.body.appendChild(«id»);',
              frameworks=("browser",)),
            V('⟦$("#«word»").html(«v»)⟧;', frameworks=("browser",), held=True),
            V('return ⟦reply.type("text/html").send(`<b>${«v»}</b>`)⟧;', frameworks=("fastify",), terminal=True),
            S('res.send("<h1>«word» " + escapeHtml(«v») + "</h1>");', frameworks=("express",)),
            S('res.render("«word»", { «key»: «v» });', frameworks=("express",)),
            S("res.json({ «key»: «v» });", frameworks=("express",)),
            S('ctx.body = { «key»: «v» };', frameworks=("koa",)),
            S('res.writeHead(200, { "Content-Type": "text/plain" });\nres.end("«msg» " + «v»);', frameworks=("node-http",)),
            S('document.getElementById("«word»")«nn».textContent = «v»;', frameworks=("browser",)),
            S('document.getElementById("«word»")«nn».innerHTML = DOMPurify.sanitize(«v»);', frameworks=("browser",)),
            S('const «id» = document.createElement("li");\n«id».appendChild(document.createTextNode(«v»));', frameworks=("browser",)),
            S('return reply.type("text/html").send(`<b>${escapeHtml(«v»)}</b>`);', frameworks=("fastify",), terminal=True),
            S('$("#«word»").text(«v»);', frameworks=("browser",), held=True),
        ], [San("const «out» = escapeHtml(«in»);"), San("const «out» = he.encode(«in»);", held=True)], weight=1.5),
        spec("CWE-22", [
            V('⟦fs.readFile(path.join(«BASE», «v»), "utf8", (err, data) => {⟧\n    if (err) return;\n    console.log(data.length);\n});'),
            V("const «id» = ⟦fs.readFileSync(«BASE» + \"/\" + «v»)⟧;"),
            V("⟦res.sendFile(path.join(__dirname, \"«word»\", «v»))⟧;", frameworks=("express",)),
            V("const «id» = ⟦fs.createReadStream(`${«BASE»}/${«v»}`)⟧;"),
            V("⟦fs.unlinkSync(path.join(«BASE», «v»))⟧;"),
            V("⟦res.download(«BASE» + «v»)⟧;", frameworks=("express",), held=True),
            V("const «id» = ⟦await fs.promises.readFile(path.resolve(«BASE», «v»))⟧;", held=True),
            S('fs.readFile(path.join(«BASE», path.basename(«v»)), "utf8", (err, data) => {\n    if (err) return;\n    console.log(data.length);\n});'),
            S("const «id» = path.resolve(«BASE», «v»);\nif (!«id».startsWith(path.resolve(«BASE») + path.sep)) {\n    «bail»\n}\nconst «id2» = fs.readFileSync(«id»);"),
            S("res.sendFile(«v», { root: «BASE» });", frameworks=("express",)),
            S('const «id» = fs.readFileSync(path.join(«BASE», "«file»"));'),
            S('fs.unlinkSync(path.join(«BASE», "«file»"));', held=True),
        ], [San("const «out» = path.basename(«in»);"),
            San('if («in».includes("..") || path.isAbsolute(«in»)) {\n    «bail»\n}', guard=True, held=True)], weight=1.4),
        spec("CWE-94", [
            V("const «id» = ⟦new Function(«v»)⟧();"),
            V("const «id» = ⟦vm.runInNewContext(«v», { «key»: «num» })⟧;"),
            V("⟦setTimeout(«v», «num»)⟧;"),
            V("const «id» = ⟦vm.runInThisContext(«v»)⟧;", held=True),
            S("const «id» = JSON.parse(«v»);"),
            S('const «id» = new Function("a", "b", "return a + b");'),
            S("const «id» = vm.runInNewContext(\"«key» * 2\", { «key»: Number(«v») });"),
            S("setTimeout(() => console.log(«v».length), «num»);", held=True),
        ], weight=0.8),
        spec("CWE-95", [
            V("const «id» = ⟦eval(«v»)⟧;"),
            V('const «id» = ⟦eval("(" + «v» + ")")⟧;'),
            V("const «id» = ⟦eval(`«word»_${«v»}()`)⟧;", held=True),
            S("const «id» = JSON.parse(«v»);"),
            S("const «id» = Number(«v»);"),
            S('const «id» = eval("«num» * «num2»");'),
            S("const «id» = parseFloat(«v»);", held=True),
        ], [San("if (!/^[0-9+\\-*/(). ]{1,40}$/.test(«in»)) {\n    «bail»\n}", guard=True)], weight=0.9),
        spec("CWE-502", [
            V("const «id» = ⟦serialize.unserialize(«v»)⟧;"),
            V('const «id» = ⟦serialize.unserialize(Buffer.from(«v», "base64").toString())⟧;'),
            V('const «id» = ⟦v8.deserialize(Buffer.from(«v», "base64"))⟧;', held=True),
            S("const «id» = JSON.parse(«v»);"),
            S("const «id» = serialize.serialize({ «key»: «v» });"),
            S('const «id» = JSON.parse(Buffer.from(«v», "base64").toString("utf8"));', held=True),
        ], weight=0.9),
        spec("CWE-798", [
            V('⟦const «SEC» = "«secret»";⟧', kind="module"),
            V('const «id» = jwt.sign({ «key»: «v» }, ⟦"«secret»"⟧, { expiresIn: "1h" });', kind="plain"),
            V('const «id» = mysql.createConnection({\n    host: "«host»",\n    user: "«word»",\n    ⟦password: "«pw»"⟧,\n});',
              kind="plain"),
            V('const «id» = await fetch("«url»", {\n    ⟦headers: { Authorization: "Bearer «secret»" }⟧,\n});', kind="plain"),
            V('⟦const «sec» = "«pw»";⟧\nconst «id» = «sec».length;', kind="plain", held=True),
            S("const «SEC» = process.env.«SEC»;", kind="module"),
            S('const «id» = jwt.sign({ «key»: «v» }, process.env.«SEC», { expiresIn: "1h" });', kind="plain"),
            S('const «id» = mysql.createConnection({\n    host: "«host»",\n    user: "«word»",\n    password: process.env.«SEC»,\n});',
              kind="plain"),
            S('const «CONST» = "«word»";', kind="module"),
            S('const «id» = await fetch("«url»", {\n    headers: { Authorization: `Bearer ${process.env.«SEC»}` },\n});', kind="plain"),
            S('const «sec» = process.env.«SEC» ?? "";', kind="plain", held=True),
        ], weight=1.2),
        spec("CWE-327", [
            V('const «id» = ⟦crypto.createCipheriv("des-ecb", «KEY», null)⟧;', kind="plain"),
            V('const «id» = ⟦crypto.createCipheriv("aes-128-ecb", «KEY», null)⟧;\nlet «id2» = «id».update(«v», "utf8", "hex");', kind="plain"),
            V('const «id» = ⟦crypto.createCipher("aes192", «KEY»)⟧;', kind="plain"),
            V('const «id» = ⟦crypto.createCipheriv("rc4", «KEY», "")⟧;', kind="plain", held=True),
            S('const «id» = crypto.createCipheriv("aes-256-gcm", «KEY», crypto.randomBytes(12));', kind="plain"),
            S('const «id» = crypto.createCipheriv("chacha20-poly1305", «KEY», crypto.randomBytes(12), { authTagLength: 16 });',
              kind="plain"),
            S('const «id» = crypto.createCipheriv("aes-256-cbc", «KEY», crypto.randomBytes(16));', kind="plain", held=True),
        ], weight=0.9),
        spec("CWE-328", [
            V('const «id» = ⟦crypto.createHash("md5").update(«v»).digest("hex")⟧;', kind="plain"),
            V('const «id» = ⟦crypto.createHash("sha1")⟧.update(«v»).digest("base64");', kind="plain"),
            V("const «id» = ⟦md5(«v»)⟧;", kind="plain", held=True),
            S('const «id» = crypto.createHash("sha256").update(«v»).digest("hex");', kind="plain"),
            S("const «id» = await bcrypt.hash(«v», 12);", kind="plain"),
            S("const «id» = crypto.scryptSync(«v», «salt», 64).toString(\"hex\");", kind="plain"),
            S('const «id» = crypto.pbkdf2Sync(«v», «salt», 310000, 32, "sha256");', kind="plain", held=True),
        ], weight=0.9),
        spec("CWE-338", [
            V("const «sec» = ⟦Math.random().toString(36).slice(2)⟧;", kind="plain"),
            V("const «sec» = ⟦Math.floor(Math.random() * 1000000)⟧;", kind="plain"),
            V('let «sec» = "";\nfor (let i = 0; i < «num»; i++) {\n    «sec» += ⟦Math.floor(Math.random() * 16)⟧.toString(16);\n}', kind="plain", held=True),
            S('const «sec» = crypto.randomBytes(32).toString("hex");', kind="plain"),
            S("const «sec» = crypto.randomUUID();", kind="plain"),
            S("const «sec» = crypto.randomInt(100000, 999999);", kind="plain"),
            S("const «id» = Math.floor(Math.random() * «num»);\nsetTimeout(() => console.debug(«id»), «id»);", kind="plain"),
            S("const «sec» = crypto.getRandomValues(new Uint8Array(16));", kind="plain", held=True),
        ], weight=0.9),
        spec("CWE-295", [
            V("const «id» = new https.Agent({ ⟦rejectUnauthorized: false⟧ });", kind="plain"),
            V('⟦process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0"⟧;', kind="plain"),
            V('const «id» = await axios.get("«url»", {\n    ⟦httpsAgent: new https.Agent({ rejectUnauthorized: false })⟧,\n});', kind="plain"),
            V('const «id» = https.request({ host: "«host»", path: "/«word»", ⟦rejectUnauthorized: false⟧ });', kind="plain", held=True),
            S("const «id» = new https.Agent({ rejectUnauthorized: true });", kind="plain"),
            S('const «id» = new https.Agent({ ca: fs.readFileSync("«dir»/ca.pem") });', kind="plain"),
            S('const «id» = await axios.get("«url»", { timeout: «num» });', kind="plain"),
            S('const «id» = https.request({ host: "«host»", path: "/«word»" });', kind="plain", held=True),
        ], weight=0.8),
        spec("CWE-611", [
            V("const «id» = ⟦libxmljs.parseXml(«v», { noent: true })⟧;"),
            V("const «id» = ⟦libxmljs.parseXmlString(«v», { noent: true, dtdload: true })⟧;"),
            S("const «id» = libxmljs.parseXml(«v», { noent: false });"),
            S('const «id» = new DOMParser().parseFromString(«v», "text/xml");'),
            S("const «id» = libxmljs.parseXml(«v»);", held=True),
        ], weight=0.5),
        spec("CWE-918", [
            V("const «id» = ⟦await axios.get(«v»)⟧;"),
            V("const «id» = ⟦await fetch(«v»)⟧;"),
            V("⟦http.get(«v», (resp) => {⟧\n    resp.resume();\n});"),
            V("const «id» = ⟦await fetch(`https://${«v»}/«word»`)⟧;", sanitizable=False),
            V("const «id» = ⟦await axios.post(«v», { «key»: «num» })⟧;", held=True),
            S('const «id» = await axios.get("«url»", { params: { «key»: «v» } });'),
            S("const «id» = await fetch(`https://«host»/«word»/${encodeURIComponent(«v»)}`);"),
            S('const «id» = { «word»: "«url»", «word2»: "«url2»" }[«v»];\nif (!«id») {\n    «bail»\n}\nconst «id2» = await fetch(«id»);'),
            S('const «id» = await fetch("«url»");', held=True),
        ], [San('if (!["«host»", "«host2»"].includes(new URL(«in»).hostname)) {\n    «bail»\n}', guard=True)]),
        spec("CWE-601", [
            V("⟦res.redirect(«v»)⟧;", frameworks=("express",)),
            V("⟦ctx.redirect(«v»)⟧;", frameworks=("koa",)),
            V("res.writeHead(302, { ⟦Location: «v»⟧ });\nres.end();", frameworks=("node-http",)),
            V("⟦window.location.href = «v»⟧;", frameworks=("browser",)),
            V("⟦location.assign(«v»)⟧;", frameworks=("browser",)),
            V("return ⟦reply.redirect(«v»)⟧;", frameworks=("fastify",), terminal=True),
            V('⟦res.redirect(302, «v» || "/")⟧;', frameworks=("express",), held=True),
            S('res.redirect("/«word»");', frameworks=("express",)),
            S('ctx.redirect("/«word»");', frameworks=("koa",)),
            S('res.writeHead(302, { Location: "/«word»" });\nres.end();', frameworks=("node-http",)),
            S('window.location.href = "/«word»?«key»=" + encodeURIComponent(«v»);', frameworks=("browser",)),
            S('return reply.redirect("/«word»");', frameworks=("fastify",), terminal=True),
            S('res.redirect("/«word»?next=" + encodeURIComponent(«v»));', frameworks=("express",), held=True),
        ], [San('if (!«in».startsWith("/") || «in».startsWith("//")) {\n    «bail»\n}', guard=True)]),
        spec("CWE-90", [
            V('⟦ldapClient.search("ou=«word»,dc=«word2»,dc=com", { filter: "(uid=" + «v» + ")", scope: "sub" }, (err, res) => {⟧\n    if (err) throw err;\n});'),
            V("const «id» = { filter: `(&(objectClass=person)(cn=${«v»}))` };\n⟦ldapClient.search(\"dc=«word»,dc=com\", «id», () => {})⟧;"),
            S('ldapClient.search("ou=«word»,dc=«word2»,dc=com", {\n    filter: new ldap.EqualityFilter({ attribute: "uid", value: «v» }),\n    scope: "sub",\n}, () => {});'),
            S('ldapClient.search("dc=«word»,dc=com", { filter: "(objectClass=person)" }, () => {});'),
        ], weight=0.4),
        spec("CWE-643", [
            V("const «id» = ⟦xpath.select(\"//«word»[@name='\" + «v» + \"']\", «tree»)⟧;"),
            V("const «id» = ⟦xpath.select1(`//«word»[«key»='${«v»}']/text()`, «tree»)⟧;"),
            S('const «id» = xpath.parse("//«word»[@name=$name]").select({ node: «tree», variables: { name: «v» } });'),
            S('const «id» = xpath.select("//«word»/@«key»", «tree»);'),
        ], [San("if (!/^[\\w -]{1,64}$/.test(«in»)) {\n    «bail»\n}", guard=True)], weight=0.4),
        spec("CWE-117", [
            V('⟦console.log("«msg»: " + «v»)⟧;'),
            V("⟦«log».info(`«msg» ${«v»}`)⟧;"),
            V('⟦«log».warn("«msg» for " + «v»)⟧;', held=True),
            S('console.log("«msg»: %j", «v»);'),
            S("«log».info(`«msg» ${JSON.stringify(«v»)}`);"),
            S('«log».info("«msg»", { length: «v».length });', held=True),
        ], [San('const «out» = «in».replace(/[\\r\\n]/g, "");')], weight=0.5),
        spec("CWE-532", [
            V('⟦console.log("password:", «sec»)⟧;', kind="plain"),
            V("⟦«log».debug(`login ${«v»} token=${«sec»}`)⟧;", kind="plain"),
            V("⟦«log».info(\"auth header \" + «id».headers.authorization)⟧;", kind="plain", held=True),
            S('console.log("login attempt for", «v»);', kind="plain"),
            S('«log».debug(`token=${«sec».slice(0, 4)}****`);', kind="plain"),
            S('«log».info("credentials loaded", { present: Boolean(«sec») });', kind="plain", held=True),
        ], weight=0.5),
        spec("CWE-312", [
            V('⟦localStorage.setItem("password", «v»)⟧;', kind="plain", frameworks=("browser",)),
            V('⟦fs.writeFileSync("«dir»/«file»", JSON.stringify({ «key»: «v», password: «sec» }))⟧;', kind="plain"),
            V('⟦res.cookie("password", «sec»)⟧;', kind="plain", frameworks=("express",), held=True),
            S('localStorage.setItem("theme", «v»);', kind="plain", frameworks=("browser",)),
            S('fs.writeFileSync("«dir»/«file»", JSON.stringify({ «key»: «v», password: await bcrypt.hash(«sec», 12) }));', kind="plain"),
            S('sessionStorage.setItem("«key»", «v»);', kind="plain", frameworks=("browser",), held=True),
        ], weight=0.5),
        spec("CWE-1333", [
            V("const «id» = ⟦new RegExp(«v»)⟧;\nconst «id2» = «id».test(«id3»);"),
            V("const «id» = ⟦/^(\\w+\\s?)*$/.test(«v»)⟧;", sanitizable=False),
            V("const «id» = ⟦«v».match(/^([a-z0-9]+)*@«word»\\.com$/)⟧;", sanitizable=False, held=True),
            S("const «id» = new RegExp(_.escapeRegExp(«v»));"),
            S("const «id» = /^\\w+$/.test(«v»);"),
            S("const «id» = «id2».includes(«v»);", held=True),
        ], [San('const «out» = «in».replace(/[.*+?^${}()|[\\]\\\\]/g, "\\\\$&");')], weight=0.5),
        spec("CWE-209", [
            V("try {\n    const «id» = JSON.parse(«v»);\n} catch (err) {\n    ⟦res.status(500).send(err.stack)⟧;\n}",
              frameworks=("express",)),
            V("try {\n    const «id» = JSON.parse(«v»);\n} catch (err) {\n    ⟦res.status(500).json({ error: err.message, stack: err.stack })⟧;\n}",
              frameworks=("express",)),
            V("try {\n    const «id» = JSON.parse(«v»);\n} catch (err) {\n    ⟦ctx.body = { error: err.stack }⟧;\n}", frameworks=("koa",)),
            V("try {\n    const «id» = JSON.parse(«v»);\n} catch (err) {\n    ⟦return reply.code(500).send(err.stack)⟧;\n}",
              frameworks=("fastify",), held=True),
            S('try {\n    const «id» = JSON.parse(«v»);\n} catch (err) {\n    console.error(err);\n    res.status(500).send("internal error");\n}',
              frameworks=("express",)),
            S('try {\n    const «id» = JSON.parse(«v»);\n} catch (err) {\n    ctx.status = 400;\n    ctx.body = { error: "«msg»" };\n}',
              frameworks=("koa",)),
            S('try {\n    const «id» = JSON.parse(«v»);\n} catch (err) {\n    request.log.error(err);\n    return reply.code(500).send({ error: "internal" });\n}',
              frameworks=("fastify",), held=True),
        ], weight=0.5),
        spec("CWE-614", [
            V('⟦res.cookie("session", «v»)⟧;', kind="plain", frameworks=("express",)),
            V('⟦res.cookie("sid", «v», { httpOnly: true })⟧;', kind="plain", frameworks=("express",)),
            V('⟦ctx.cookies.set("sid", «v», { secure: false })⟧;', kind="plain", frameworks=("koa",)),
            V('⟦reply.setCookie("sid", «v», { path: "/" })⟧;', kind="plain", frameworks=("fastify",), held=True),
            S('res.cookie("session", «v», { secure: true, httpOnly: true, sameSite: "strict" });', kind="plain", frameworks=("express",)),
            S('ctx.cookies.set("sid", «v», { secure: true, httpOnly: true });', kind="plain", frameworks=("koa",)),
            S('reply.setCookie("sid", «v», { path: "/", secure: true, httpOnly: true });', kind="plain", frameworks=("fastify",), held=True),
        ], weight=0.5),
        spec("CWE-943", [
            V("const «id» = ⟦await «Cls».find({ $where: \"this.«key» == '\" + «v» + \"'\" })⟧;"),
            V("const «id» = ⟦await «Cls».findOne(JSON.parse(«v»))⟧;"),
            V("const «id» = ⟦await «Cls».findOne({ «key»: req.body.«key», password: req.body.password })⟧;",
              frameworks=("express",), held=True),
            S("const «id» = await «Cls».findOne({ «key»: String(«v») });"),
            S("const «id» = await «Cls».find({ «key»: { $eq: «v» } });"),
            S("const «id» = await «Cls».findOne({ «key»: String(req.body.«key») });", frameworks=("express",), held=True),
        ], weight=0.6),
        spec("CWE-1321", [
            V("«fn2»(«cfg», JSON.parse(«v»));",
              block="function «fn2»(target«T_any», source«T_any») {\n    for (const key in source) {\n"
                    "        if (typeof source[key] === \"object\" && source[key] !== null) {\n"
                    "            target[key] = target[key] || {};\n            «fn2»(target[key], source[key]);\n"
                    "        } else {\n            ⟦target[key] = source[key]⟧;\n        }\n    }\n    return target;\n}"),
            V('const [«id», «id2», «id3»] = String(«v»).split(".");\n«cfg»[«id»] = «cfg»[«id»] || {};\n⟦«cfg»[«id»][«id2»] = «id3»⟧;'),
            V("const «id» = ⟦_.defaultsDeep({}, JSON.parse(«v»))⟧;", held=True),
            S("«fn2»(«cfg», JSON.parse(«v»));",
              block="function «fn2»(target«T_any», source«T_any») {\n    for (const key of Object.keys(source)) {\n"
                    "        if (key === \"__proto__\" || key === \"constructor\" || key === \"prototype\") continue;\n"
                    "        if (typeof source[key] === \"object\" && source[key] !== null) {\n"
                    "            target[key] = target[key] || {};\n            «fn2»(target[key], source[key]);\n"
                    "        } else {\n            target[key] = source[key];\n        }\n    }\n    return target;\n}"),
            S('const [«id», «id2»] = String(«v»).split(".");\nconst «id3» = new Map();\n«id3».set(«id», «id2»);'),
            S("const «id» = Object.assign(Object.create(null), JSON.parse(«v»));", held=True),
        ], weight=0.6),
    ]


MODULE_FILLERS = [
    "«export_kw»function «fn»(«id»«T_anyarr») {\n    return «id».reduce((acc, «id2») => acc + («id2».«key» || 0), 0);\n}",
    "«export_kw»const «CONST» = {\n    «key»: «num»,\n    «key2»: \"«word»\",\n    «key3»: [«num2», «num3»],\n};",
    "«export_kw»class «Cls» {\n    constructor(«id»«T_str») {\n        this.«id» = «id»;\n        this.items = [];\n    }\n\n"
    "    add(«id2»«T_any») {\n        this.items.push(«id2»);\n        return this;\n    }\n\n    get size() {\n        return this.items.length;\n    }\n}",
    "/**\n * «doc»\n */\n«export_kw»function «fn»(«id»«T_str», «id2» = «num») {\n    if (!«id») {\n        return \"\";\n    }\n"
    "    return «id».length > «id2» ? «id».slice(0, «id2») + \"…\" : «id»;\n}",
    "«export_kw»async function «fn»(«id»«T_any», attempts = «num2») {\n    for (let i = 0; i < attempts; i++) {\n        try {\n"
    "            return await «id»();\n        } catch (err) {\n            console.warn(\"«msg»\", i + 1);\n"
    "            await new Promise((r) => setTimeout(r, 100 * (i + 1)));\n        }\n    }\n    throw new Error(\"«msg2»\");\n}",
    "const «fn» = («id»«T_anyarr») =>\n    «id».filter((«id2») => «id2».«key» !== undefined).map((«id2») => «id2».«key»);",
    "«export_kw»function «fn»(«id»«T_any») {\n    const «id2» = {};\n    for (const «id3» of «id») {\n"
    "        («id2»[«id3».«key»] = «id2»[«id3».«key»] || []).push(«id3»);\n    }\n    return «id2»;\n}",
    "// «doc»\nconst «CONST» = «num»;\nconst «CONST2» = \"«word»\";",
    "«export_kw»function «fn»(«id» = new Date()) {\n    return «id».toISOString().slice(0, 10);\n}",
    ("«export_kw»function «fn»(«id»«T_num», «id2»«T_num») {\n    const «id3» = Math.max(1, «id»);\n"
     "    return { offset: («id3» - 1) * «id2», limit: «id2» };\n}", {"held": True}),
    ("«export_kw»const «fn» = (ms«T_num») => new Promise((resolve) => setTimeout(resolve, ms));", {"held": True}),
    "«export_kw»class «Cls» {\n    static «fn»(«id»«T_any») {\n        return Object.entries(«id»).map(([k, v]) => `${k}=${v}`).join(\"&\");\n    }\n}",
    "const «id» = new Map();\n\n«export_kw»function «fn»(«id2»«T_str», «id3»«T_any») {\n    if (!«id».has(«id2»)) {\n"
    "        «id».set(«id2», []);\n    }\n    «id».get(«id2»)«nn».push(«id3»);\n}",
    "«export_kw»function «fn»(callback«T_any», wait = «num») {\n    let timer«T_any» = null;\n    return (...args«T_anyarr») => {\n"
    "        clearTimeout(timer);\n        timer = setTimeout(() => callback(...args), wait);\n    };\n}",
    "«export_kw»function «fn»(«id»«T_any») {\n    const missing = [\"«key»\", \"«key2»\"].filter((k) => !(k in «id»));\n"
    "    if (missing.length) {\n        throw new Error(`missing: ${missing.join(\", \")}`);\n    }\n    return true;\n}",
    "«export_kw»function «fn»(«id»«T_str») {\n    switch («id») {\n        case \"«word»\":\n            return 1;\n"
    "        case \"«word2»\":\n            return 2;\n        default:\n            return 0;\n    }\n}",
    "«export_kw»async function «fn»() {\n    const res = await fetch(\"/api/«word»\");\n    if (!res.ok) {\n"
    "        throw new Error(`HTTP ${res.status}`);\n    }\n    return res.json();\n}",
    ("«export_kw»const «fn» = (amount«T_num») =>\n    new Intl.NumberFormat(\"en-US\", { style: \"currency\", currency: \"USD\" }).format(amount);",
     {"held": True}),
]
STMT_FILLERS = [
    'console.debug("«msg»");', "const «id» = Date.now();", "const «id» = { «key»: «num», «key2»: \"«word»\" };",
    "// «doc»", "const «id» = [];", "let «id» = «num» * «num2»;", ("// TODO: «msg»", {"held": True}),
]


def _imports(parts: FileParts, esm: bool, ts: bool) -> list[str]:
    """Render ``module|binding`` import specs as require()/import lines, merging named bindings."""
    order: list[str] = []
    default: dict[str, str] = {}
    named: dict[str, list[str]] = {}
    for spec in parts.imports:
        if spec.startswith("ts:"):
            if not ts:
                continue
            spec = spec[3:]
        mod, _, binding = spec.partition("|")
        if mod not in order:
            order.append(mod)
        if binding.startswith("{"):
            for name in binding.strip("{} ").split(","):
                if name.strip() and name.strip() not in named.setdefault(mod, []):
                    named[mod].append(name.strip())
        else:
            default.setdefault(mod, binding)
    lines = []
    for mod in order:
        if mod in default:
            b = default[mod]
            lines.append(f'import {b} from "{mod}";' if esm else f'const {b} = require("{mod}");')
        if named.get(mod):
            names = ", ".join(named[mod])
            lines.append(f'import {{ {names} }} from "{mod}";' if esm else f'const {{ {names} }} = require("{mod}");')
    return lines


class JavaScriptKit(Kit):
    style = NameStyle(var="camel", func="camel")
    indents = (("  ", 0.6), ("    ", 0.4))
    quote_restyle = True
    transforms = ("const «out» = «in».trim();", "const «out» = String(«in»).toLowerCase();", "const «out» = `${«in»}`;",
                  'const «out» = «in» || "«word»";', "const «out» = String(«in»);")
    neutral_uses = ("if («var».length > «num») {\n    «bail»\n}", 'console.debug("«msg»", «var».length);',
                    "if (!«var») {\n    «bail»\n}")
    helper_bail = 'throw new Error("«msg»");'
    auto_imports = (
        ("fs.", "fs|fs"), ("path.", "path|path"), ("crypto.", "crypto|crypto"), ("child_process.", "child_process|child_process"),
        ("exec(", "child_process|{ exec }"), ("execSync(", "child_process|{ execSync }"), ("spawn(", "child_process|{ spawn }"),
        ("execFile(", "child_process|{ execFile }"), ("execFileSync(", "child_process|{ execFileSync }"),
        ("escapeHtml(", "escape-html|escapeHtml"), ("he.", "he|he"), ("serialize.", "node-serialize|serialize"),
        ("v8.", "v8|v8"), ("jwt.", "jsonwebtoken|jwt"), ("mysql.", "mysql|mysql"), ("https.", "https|https"),
        ("axios.", "axios|axios"), ("libxmljs.", "libxmljs|libxmljs"), ("DOMParser(", "@xmldom/xmldom|{ DOMParser }"),
        ("http.get(", "http|http"), ("ldap.", "ldapjs|ldap"), ("xpath.", "xpath|xpath"), ("_.", "lodash|_"),
        ("vm.", "vm|vm"), ("bcrypt.", "bcrypt|bcrypt"), ("md5(", "md5|md5"), ("knex", "./db|{ knex }"),
        ("sequelize.", "./db|{ sequelize }"), ("DOMPurify.", "dompurify|DOMPurify"),
    )
    file_slots: ClassVar[dict[str, tuple[str, ...]]] = {
        "db": ("db", "connection", "conn"), "pg": ("pool", "pgPool", "client"), "sqlite": ("sqliteDb", "database"),
        "log": ("logger", "log"), "BASE": ("BASE_DIR", "UPLOAD_DIR", "DATA_ROOT", "STORAGE_PATH"),
        "tree": ("doc", "xmlDoc", "dom"), "KEY": ("KEY", "SECRET_KEY", "cipherKey"), "salt": ("SALT", "salt"),
        "cfg": ("config", "settings", "options", "defaults"), "port": ("3000", "8080", "4000"),
        "async_kw": ("", "async "),
    }
    slot_decls: ClassVar[dict[str, str]] = {
        "db": 'const «db» = mysql.createConnection({ host: "«host»", user: "«word»", database: "«word2»" });',
        "pg": "const «pg» = new Pool();",
        "sqlite": 'const «sqlite» = new sqlite3.Database("«word».db");',
        "log": 'const «log» = winston.createLogger({ level: "info" });',
        "BASE": 'const «BASE» = "«dir»";',
        "tree": 'const «tree» = new DOMParser().parseFromString(fs.readFileSync("«dir»/«word».xml", "utf8"), "text/xml");',
        "KEY": "const «KEY» = crypto.scryptSync(process.env.«CONST» || \"\", \"salt\", 32);",
        "salt": "const «salt» = crypto.randomBytes(16);",
        "cfg": "const «cfg»«T_any» = {};",
    }
    ts = False

    def file_slot_makers(self, rng: random.Random):
        makers = super().file_slot_makers(rng)
        types = {"T_str": ": string", "T_any": ": any", "T_num": ": number", "T_anyarr": ": any[]", "T_req": ": Request",
                 "T_res": ": Response", "T_ctx": ": Context", "T_inc": ": IncomingMessage", "T_srv": ": ServerResponse",
                 "T_freq": ": FastifyRequest<any>", "T_frep": ": FastifyReply", "as_str": " as string", "nn": "!",
                 "as_input": " as HTMLInputElement"}
        for slot, text in types.items():
            makers[slot] = (lambda bag, text=text: text) if self.ts else (lambda bag: "")
        esm = self.ts or rng.random() < 0.45
        makers["export_kw"] = lambda bag: rng.choice(("export ", "")) if esm else ""
        makers["esm"] = lambda bag: "1" if esm else ""
        return makers

    def assign(self, var: str, expr: str) -> str:
        return f"const {var} = {expr};"

    def call(self, fn: str, args: list[str], bag: Bag) -> str:
        if bag.namer.rng.random() < 0.4:
            return f"const «tmp» = {fn}({', '.join(args)});"
        return f"{fn}({', '.join(args)});"

    def helper(self, fn: str, params: list[str], body: str, bag: Bag) -> str:
        rng = bag.namer.rng
        sig = ", ".join(f"{p}«T_str»" for p in params)
        doc = "/**\n * «doc»\n */\n" if rng.random() < 0.3 else ""
        if rng.random() < 0.3:
            return fill(f"{doc}const {fn} = ({sig}) => {{\n    «body»\n}};", bag.child(body=body))
        return fill(f"{doc}function {fn}({sig}) {{\n    «body»\n}}", bag.child(body=body))

    def finish_block(self, text: str) -> str:
        """A function whose body awaits must be async (the templates do not know where they land)."""
        if "await " not in text:
            return text
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if line.lstrip().startswith(("/", "*", "@")):
                continue  # doc comment or decorator above the function
            if "async" in line:
                return text
            if "function " in line:
                lines[i] = line.replace("function ", "async function ", 1)
            else:
                arrows = list(_ARROW.finditer(line))
                if arrows:
                    at = arrows[-1].start()
                    lines[i] = line[:at] + "async " + line[at:]
            return "\n".join(lines)
        return text

    def path(self, rng: random.Random, namer, framework: Framework, bag: Bag) -> str:
        ext = self.ext if framework.name != "browser" or self.ts else ".js"
        folder = {"express": "routes", "koa": "src/routes", "node-http": "server", "browser": "public/js",
                  "library": "lib", "fastify": "src/plugins"}.get(framework.name, "src")
        return f"{folder}/{namer.func()}{ext}"

    def render(self, parts: FileParts, framework: Framework, bag: Bag, rng: random.Random) -> str:
        esm = bool(bag["esm"])
        body = join_blocks(parts.blocks, 1)
        footer = ""
        if framework.footer and rng.random() < 0.85:
            first = parts.handlers[0][0] if parts.handlers else "handler"
            footer = fill(framework.footer, bag.child(first=first))
        if framework.name == "library" and not esm and parts.handlers and rng.random() < 0.7:
            footer = "module.exports = { " + ", ".join(fn for fn, _, _ in parts.handlers) + " };"
        decls = "\n".join(parts.decls)
        text_all = "\n".join((decls, body, footer))
        if "winston." in text_all:
            parts.add_import("winston|winston")
        if "new Pool(" in text_all:
            parts.add_import("pg|{ Pool }")
        if "sqlite3." in text_all:
            parts.add_import("sqlite3|sqlite3")
        self.resolve_imports(parts, text_all)
        if framework.name == "browser":
            parts.imports = [i for i in parts.imports if i.split("|")[0] in ("dompurify", "lodash")]
        imports = _imports(parts, esm, self.ts)
        head = []
        if not esm and rng.random() < 0.3:
            head.append('"use strict";')
        if rng.random() < 0.35:
            head.append(fill("/**\n * «doc»\n */", bag.child()))
        sections = ["\n".join(head), "\n".join(imports), decls, body, footer]
        return "\n\n".join(s for s in sections if s.strip()) + "\n"


class _JS(JavaScriptKit):
    name = "javascript"
    ext = ".js"
    frameworks = (EXPRESS, KOA, NODE_HTTP, BROWSER, LIBRARY, FASTIFY)
    specs = tuple(_specs("javascript"))
    fillers = fillers("javascript", "module", MODULE_FILLERS) + fillers("javascript", "stmt", STMT_FILLERS)


class _TS(JavaScriptKit):
    name = "typescript"
    ext = ".ts"
    ts = True
    frameworks = (EXPRESS, KOA, NODE_HTTP, BROWSER, LIBRARY, FASTIFY)
    specs = tuple(_specs("typescript"))
    fillers = fillers("typescript", "module", MODULE_FILLERS) + fillers("typescript", "stmt", STMT_FILLERS)


JS_KIT = _JS()
TS_KIT = _TS()
