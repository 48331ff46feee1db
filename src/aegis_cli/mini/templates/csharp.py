"""C#: ASP.NET Core controllers, ADO.NET/EF Core/Dapper, console libraries; minimal APIs are held out."""

from __future__ import annotations

import random
import re
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

L = "csharp"


def spec(cwe, items, sanitizers=(), weight=1.0):
    return make_spec(L, cwe, items, list(sanitizers), weight)


MVC = Framework(
    name="aspnet",
    sources=(
        Source(param="[FromQuery] string «v»"), Source(param='[FromQuery(Name = "«key»")] string «v»'),
        Source(param="string «v»", route="/{«v»}"), Source(param='[FromHeader(Name = "«hdr»")] string «v»'),
        Source(param="[FromForm] string «v»"), Source(expr='Request.Query["«key»"].ToString()'),
        Source(expr='Request.Cookies["«key»"] ?? ""'),
    ),
    handler='[Http«method_cap»("«route_rel»")]\npublic IActionResult «fn»(«params»)\n{\n    «body»\n}',
    responses=("return Ok();", 'return Ok(new { status = "ok" });', "return NoContent();"),
    bail='return BadRequest("«msg»");',
    wrapper='[ApiController]\n[Route("api/[controller]")]\npublic class «main_cls» : ControllerBase\n{\n    «members»\n}',
)

CONSOLE = Framework(
    name="console",
    sources=(
        Source(param="string «v»"), Source(expr='Environment.GetEnvironmentVariable("«CONST»") ?? ""'),
        Source(expr='Console.ReadLine() ?? ""'),
    ),
    handler="public void «fn»(«params»)\n{\n    «body»\n}",
    responses=('Console.WriteLine("«msg»");', '_logger.LogInformation("«msg»");'),
    bail='throw new ArgumentException("«msg»");',
    wrapper="public class «main_cls»\n{\n    «members»\n}",
)

MINIMAL = Framework(
    name="minimal",
    held=True,
    sources=(Source(param="string «v»"), Source(expr='request.Query["«key»"].ToString()')),
    handler='app.Map«method_cap»("«route»", («params») =>\n{\n    «body»\n});',
    base_params=("HttpRequest request",),
    responses=("return Results.Ok();", 'return Results.Ok(new { status = "ok" });'),
    bail='return Results.BadRequest("«msg»");',
    decls=("var builder = WebApplication.CreateBuilder(args);", "var app = builder.Build();"),
    footer="app.Run();",
)

WEB = ("aspnet", "minimal")

SPECS = [
    spec("CWE-89", [
        V('using var «id» = new SqlCommand(⟦"SELECT * FROM «tbl» WHERE «col» = \'" + «v» + "\'"⟧, «conn»);\nusing var «id2» = «id».ExecuteReader();'),
        V('var «id» = «conn».CreateCommand();\n⟦«id».CommandText = $"DELETE FROM «tbl» WHERE «col» = \'{«v»}\'"⟧;\n«id».ExecuteNonQuery();'),
        V('var «id» = ⟦«dbctx».«Col».FromSqlRaw("SELECT * FROM «tbl» WHERE «col» = \'" + «v» + "\'")⟧.ToList();'),
        V('var «id» = ⟦«conn».Query<«Cls»>($"SELECT * FROM «tbl» WHERE «col» = \'{«v»}\'")⟧;', held=True),
        S('using var «id» = new SqlCommand("SELECT * FROM «tbl» WHERE «col» = @«col»", «conn»);\n«id».Parameters.AddWithValue("@«col»", «v»);\nusing var «id2» = «id».ExecuteReader();'),
        S('var «id» = «dbctx».«Col».FromSqlInterpolated($"SELECT * FROM «tbl» WHERE «col» = {«v»}").ToList();'),
        S('var «id» = «dbctx».«Col».Where(x => x.«Col2» == «v»).ToList();'),
        S('var «id» = «conn».Query<«Cls»>("SELECT * FROM «tbl» WHERE «col» = @value", new { value = «v» });', held=True),
    ], [San("var «out» = int.Parse(«in»).ToString();"),
        San('if (!Regex.IsMatch(«in», "^[A-Za-z0-9_]+$"))\n{\n    «bail»\n}', guard=True)], weight=1.5),
    spec("CWE-78", [
        V('⟦Process.Start("cmd.exe", "/c «cmd» " + «v»)⟧;'),
        V('var «id» = ⟦new ProcessStartInfo("/bin/sh", "-c \\"«cmd» " + «v» + "\\"")⟧;\nProcess.Start(«id»);'),
        V('⟦Process.Start("/bin/bash", $"-c \\"«cmd» {«v»}\\"")⟧;', held=True),
        S('var «id» = new ProcessStartInfo("«prog»");\n«id».ArgumentList.Add(«v»);\nProcess.Start(«id»);'),
        S('Process.Start("«prog»", "«dir»");'),
    ], [San('if (!Regex.IsMatch(«in», @"^[\\w.-]+$"))\n{\n    «bail»\n}', guard=True)], weight=1.2),
    spec("CWE-79", [
        V('return ⟦Content("<h1>«word» " + «v» + "</h1>", "text/html")⟧;', frameworks=("aspnet",), terminal=True),
        V('return ⟦Content($"<p>{«v»}</p>", "text/html")⟧;', frameworks=("aspnet",), terminal=True),
        V('return ⟦Results.Content($"<div>{«v»}</div>", "text/html")⟧;', frameworks=("minimal",), terminal=True),
        S('return Content("<h1>«word» " + HtmlEncoder.Default.Encode(«v») + "</h1>", "text/html");', frameworks=("aspnet",), terminal=True),
        S('return Content($"<p>{WebUtility.HtmlEncode(«v»)}</p>", "text/html");', frameworks=("aspnet",), terminal=True),
        S('return Ok(new { «key» = «v» });', frameworks=("aspnet",), terminal=True),
        S('return Results.Content($"<div>{WebUtility.HtmlEncode(«v»)}</div>", "text/html");', frameworks=("minimal",), terminal=True),
    ], [San("var «out» = HtmlEncoder.Default.Encode(«in»);"), San("var «out» = WebUtility.HtmlEncode(«in»);", held=True)], weight=1.2),
    spec("CWE-22", [
        V("var «id» = ⟦System.IO.File.ReadAllText(Path.Combine(«BASE», «v»))⟧;"),
        V('return ⟦PhysicalFile(Path.Combine(«BASE», «v»), "application/octet-stream")⟧;', frameworks=("aspnet",), terminal=True),
        V('⟦System.IO.File.Delete(«BASE» + "/" + «v»)⟧;', held=True),
        S("var «id» = System.IO.File.ReadAllText(Path.Combine(«BASE», Path.GetFileName(«v»)));"),
        S('var «id» = Path.GetFullPath(Path.Combine(«BASE», «v»));\nif (!«id».StartsWith(Path.GetFullPath(«BASE»)))\n{\n    «bail»\n}\nvar «id2» = System.IO.File.ReadAllText(«id»);'),
        S('var «id» = System.IO.File.ReadAllText(Path.Combine(«BASE», "«file»"));'),
    ], [San("var «out» = Path.GetFileName(«in»);")], weight=1.2),
    spec("CWE-502", [
        V("using var «id» = new MemoryStream(Convert.FromBase64String(«v»));\nvar «id2» = ⟦new BinaryFormatter().Deserialize(«id»)⟧;"),
        V("var «id» = ⟦JsonConvert.DeserializeObject(«v», new JsonSerializerSettings { TypeNameHandling = TypeNameHandling.All })⟧;"),
        V("var «id» = ⟦new LosFormatter().Deserialize(«v»)⟧;", held=True),
        S("var «id» = JsonSerializer.Deserialize<Dictionary<string, string>>(«v»);"),
        S("var «id» = JsonConvert.DeserializeObject<«Cls»>(«v», new JsonSerializerSettings { TypeNameHandling = TypeNameHandling.None });"),
    ], weight=1.0),
    spec("CWE-798", [
        V('⟦private const string «SEC» = "«secret»";⟧', kind="module"),
        V('using var «id» = new SqlConnection(⟦"Server=«host»;Database=«word»;User Id=sa;Password=«pw»;"⟧);', kind="plain"),
        V('var «id» = new HttpClient();\n«id».DefaultRequestHeaders.Add("Authorization", ⟦"Bearer «secret»"⟧);', kind="plain"),
        S('var «id» = new HttpClient();\n«id».DefaultRequestHeaders.Add("Authorization", "Bearer " + Environment.GetEnvironmentVariable("«SEC»"));',
          kind="plain"),
        S('private static readonly string «SEC» = Environment.GetEnvironmentVariable("«SEC»") ?? "";', kind="module"),
        S('using var «id» = new SqlConnection(Environment.GetEnvironmentVariable("«SEC»"));', kind="plain"),
        S('private const string «CONST» = "«word»";', kind="module"),
    ], weight=1.0),
    spec("CWE-327", [
        V("using var «id» = ⟦DES.Create()⟧;", kind="plain"),
        V("using var «id» = Aes.Create();\n⟦«id».Mode = CipherMode.ECB⟧;", kind="plain"),
        V("using var «id» = ⟦TripleDES.Create()⟧;", kind="plain", held=True),
        S("using var «id» = new AesGcm(«KEY», 16);", kind="plain"),
        S("using var «id» = Aes.Create();\n«id».Mode = CipherMode.CBC;", kind="plain"),
    ], weight=0.8),
    spec("CWE-328", [
        V("var «id» = ⟦MD5.HashData(Encoding.UTF8.GetBytes(«v»))⟧;", kind="plain"),
        V("using var «id» = ⟦SHA1.Create()⟧;\nvar «id2» = «id».ComputeHash(Encoding.UTF8.GetBytes(«v»));", kind="plain"),
        V("using var «id» = ⟦MD5.Create()⟧;", kind="plain", held=True),
        S("var «id» = SHA256.HashData(Encoding.UTF8.GetBytes(«v»));", kind="plain"),
        S("var «id» = Rfc2898DeriveBytes.Pbkdf2(«v», «salt», 310000, HashAlgorithmName.SHA256, 32);", kind="plain"),
        S("var «id» = BCrypt.Net.BCrypt.HashPassword(«v»);", kind="plain", held=True),
    ], weight=0.8),
    spec("CWE-338", [
        V("var «sec» = ⟦new Random().Next(100000, 999999)⟧;", kind="plain"),
        V('var «sec» = ⟦Random.Shared.NextInt64()⟧.ToString("x");', kind="plain", held=True),
        S("var «sec» = RandomNumberGenerator.GetInt32(100000, 999999);", kind="plain"),
        S("var «sec» = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));", kind="plain"),
        S("var «id» = new Random().Next(«num»);", kind="plain"),
    ], weight=0.8),
    spec("CWE-295", [
        V("var «id» = new HttpClientHandler\n{\n    ⟦ServerCertificateCustomValidationCallback = (message, cert, chain, errors) => true⟧,\n};", kind="plain"),
        V("⟦ServicePointManager.ServerCertificateValidationCallback += (sender, cert, chain, errors) => true⟧;", kind="plain"),
        V("var «id» = new HttpClientHandler\n{\n    ⟦ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator⟧,\n};",
          kind="plain", held=True),
        S("var «id» = new HttpClientHandler();", kind="plain"),
        S("var «id» = new HttpClientHandler\n{\n    ServerCertificateCustomValidationCallback = (message, cert, chain, errors) => errors == SslPolicyErrors.None,\n};",
          kind="plain"),
    ], weight=0.7),
    spec("CWE-611", [
        V("var «id» = new XmlDocument { ⟦XmlResolver = new XmlUrlResolver()⟧ };\n«id».LoadXml(«v»);"),
        V("var «id» = new XmlReaderSettings { ⟦DtdProcessing = DtdProcessing.Parse⟧ };\nusing var «id2» = XmlReader.Create(new StringReader(«v»), «id»);"),
        S("var «id» = new XmlDocument { XmlResolver = null };\n«id».LoadXml(«v»);"),
        S("var «id» = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit };\nusing var «id2» = XmlReader.Create(new StringReader(«v»), «id»);"),
    ], weight=0.7),
    spec("CWE-918", [
        V("var «id» = ⟦await «http».GetStringAsync(«v»)⟧;"),
        V('var «id» = ⟦await «http».GetAsync($"http://{«v»}/«word»")⟧;', held=True, sanitizable=False),
        S('var «id» = await «http».GetStringAsync("«url»?«key»=" + Uri.EscapeDataString(«v»));'),
    ], [San('if (new Uri(«in»).Host != "«host»")\n{\n    «bail»\n}', guard=True)], weight=0.9),
    spec("CWE-601", [
        V("return ⟦Redirect(«v»)⟧;", frameworks=("aspnet",), terminal=True),
        V("return ⟦Results.Redirect(«v»)⟧;", frameworks=("minimal",), terminal=True),
        S("return LocalRedirect(«v»);", frameworks=("aspnet",), terminal=True),
        S('return Redirect("/«word»");', frameworks=("aspnet",), terminal=True),
        S('return Results.LocalRedirect("/«word»");', frameworks=("minimal",), terminal=True, held=True),
    ], [San('if (!«in».StartsWith("/") || «in».StartsWith("//"))\n{\n    «bail»\n}', guard=True)]),
    spec("CWE-90", [
        V('using var «id» = new DirectorySearcher(new DirectoryEntry("LDAP://«host»"));\n⟦«id».Filter = "(uid=" + «v» + ")"⟧;\nvar «id2» = «id».FindOne();'),
        S('using var «id» = new DirectorySearcher(new DirectoryEntry("LDAP://«host»"));\n«id».Filter = "(objectClass=person)";\nvar «id2» = «id».FindAll();'),
    ], weight=0.4),
    spec("CWE-643", [
        V('var «id» = ⟦«xdoc».SelectNodes("//«word»[@name=\'" + «v» + "\']")⟧;'),
        S('var «id» = «xdoc».SelectNodes("//«word»[@«key»]");'),
    ], [San('if (!Regex.IsMatch(«in», "^[A-Za-z0-9 _-]{1,64}$"))\n{\n    «bail»\n}', guard=True)], weight=0.4),
    spec("CWE-117", [
        V('⟦_logger.LogInformation("«msg»: " + «v»)⟧;'),
        V('⟦_logger.LogWarning($"«msg» {«v»}")⟧;'),
        S('_logger.LogInformation("«msg»: {Value}", «v».Replace("\\r", "").Replace("\\n", ""));'),
        S('_logger.LogWarning("«msg» ({Length} chars)", «v».Length);'),
    ], [San('var «out» = «in».Replace("\\r", "").Replace("\\n", "");')], weight=0.5),
    spec("CWE-209", [
        V("try\n{\n    var «id» = int.Parse(«v»);\n}\ncatch (Exception ex)\n{\n    return ⟦StatusCode(500, ex.ToString())⟧;\n}",
          frameworks=("aspnet",)),
        V("try\n{\n    var «id» = int.Parse(«v»);\n}\ncatch (Exception ex)\n{\n    return ⟦Problem(ex.StackTrace)⟧;\n}",
          frameworks=("aspnet",), held=True),
        S('try\n{\n    var «id» = int.Parse(«v»);\n}\ncatch (Exception ex)\n{\n    _logger.LogError(ex, "«msg»");\n    return StatusCode(500, "internal error");\n}',
          frameworks=("aspnet",)),
    ], weight=0.5),
    spec("CWE-614", [
        V('⟦Response.Cookies.Append("session", «v»)⟧;', kind="plain", frameworks=("aspnet",)),
        V('⟦Response.Cookies.Append("«key»", «v», new CookieOptions { HttpOnly = true })⟧;', kind="plain", frameworks=("aspnet",)),
        S('Response.Cookies.Append("session", «v», new CookieOptions { Secure = true, HttpOnly = true, SameSite = SameSiteMode.Strict });',
          kind="plain", frameworks=("aspnet",)),
    ], weight=0.5),
    spec("CWE-352", [
        V('⟦[IgnoreAntiforgeryToken]⟧\n[HttpPost("«word»")]\npublic IActionResult «fn»([FromForm] string «id»)\n{\n    return Ok();\n}',
          kind="module", frameworks=("aspnet",)),
        S('[ValidateAntiForgeryToken]\n[HttpPost("«word»")]\npublic IActionResult «fn»([FromForm] string «id»)\n{\n    return Ok();\n}',
          kind="module", frameworks=("aspnet",)),
    ], weight=0.3),
    spec("CWE-1333", [
        V("var «id» = ⟦new Regex(«v»)⟧;"),
        V('var «id» = ⟦Regex.IsMatch(«v», @"^(\\w+\\s?)*$")⟧;', sanitizable=False),
        S("var «id» = new Regex(Regex.Escape(«v»));"),
        S('var «id» = Regex.IsMatch(«v», @"^(\\w+\\s?)*$", RegexOptions.None, TimeSpan.FromMilliseconds(100));'),
    ], [San("var «out» = Regex.Escape(«in»);")], weight=0.4),
]

MODULE_FILLERS = fillers(L, "module", [
    "private static int «fn»(IEnumerable<int> «id»)\n{\n    return «id».Where(x => x > 0).Sum();\n}",
    'private static readonly Dictionary<string, int> «CONST» = new()\n{\n    ["«key»"] = «num»,\n    ["«key2»"] = «num2»,\n};',
    "/// <summary>«doc»</summary>\nprivate static string «fn»(string «id», int «id2»)\n{\n    return «id».Length > «id2» ? «id»[..«id2»] : «id»;\n}",
    "public record «Cls»(string «Col», int «Col2»);",
    "public static string «fn»(DateTime «id»)\n{\n    return «id».ToUniversalTime().ToString(\"yyyy-MM-dd\");\n}",
    ("private static List<string> «fn»(IEnumerable<string> «id»)\n{\n    return «id».Select(s => s.Trim()).Where(s => s.Length > 0).ToList();\n}", {"held": True}),
    'public static string «fn»(IDictionary<string, string> «id») =>\n    string.Join("&", «id».Select(kv => $"{kv.Key}={kv.Value}"));',
    'private static int «fn»(string «id») => «id» switch\n{\n    "«word»" => 1,\n    "«word2»" => 2,\n    _ => 0,\n};',
    'public sealed class «Cls»\n{\n    public string «Col» { get; init; } = "";\n    public int «Col2» { get; set; }\n}',
    ("private static async Task<int> «fn»(int «id»)\n{\n    await Task.Delay(«id»);\n    return «id» * 2;\n}", {"held": True}),
])
STMT_FILLERS = fillers(L, "stmt", [
    '_logger.LogDebug("«msg»");', "var «id» = DateTime.UtcNow;", "var «id» = new List<string>();", "// «doc»",
    "var «id» = «num» * «num2»;", ("// TODO: «msg»", {"held": True}),
])

_USINGS = (
    ("SqlCommand", "Microsoft.Data.SqlClient"), ("SqlConnection", "Microsoft.Data.SqlClient"),
    ("FromSql", "Microsoft.EntityFrameworkCore"), (".Query<", "Dapper"), ("Process", "System.Diagnostics"),
    ("HtmlEncoder", "System.Text.Encodings.Web"), ("WebUtility", "System.Net"), ("Path.", "System.IO"),
    ("MemoryStream", "System.IO"), ("StringReader", "System.IO"), ("BinaryFormatter", "System.Runtime.Serialization.Formatters.Binary"),
    ("JsonConvert", "Newtonsoft.Json"), ("TypeNameHandling", "Newtonsoft.Json"), ("JsonSerializer.", "System.Text.Json"),
    ("LosFormatter", "System.Web.UI"), ("DES.", "System.Security.Cryptography"), ("Aes", "System.Security.Cryptography"),
    ("TripleDES", "System.Security.Cryptography"), ("MD5", "System.Security.Cryptography"), ("SHA1", "System.Security.Cryptography"),
    ("SHA256", "System.Security.Cryptography"), ("Rfc2898DeriveBytes", "System.Security.Cryptography"),
    ("RandomNumberGenerator", "System.Security.Cryptography"), ("Encoding.", "System.Text"),
    ("HttpClientHandler", "System.Net.Http"), ("ServicePointManager", "System.Net"), ("SslPolicyErrors", "System.Net.Security"),
    ("XmlDocument", "System.Xml"), ("XmlReader", "System.Xml"), ("XmlUrlResolver", "System.Xml"), ("DtdProcessing", "System.Xml"),
    ("DirectorySearcher", "System.DirectoryServices"), ("Regex", "System.Text.RegularExpressions"),
    ("IActionResult", "Microsoft.AspNetCore.Mvc"), ("CookieOptions", "Microsoft.AspNetCore.Http"),
    ("_logger.", "Microsoft.Extensions.Logging"), (".Where(", "System.Linq"), (".Select(", "System.Linq"),
    ("List<", "System.Collections.Generic"), ("Dictionary<", "System.Collections.Generic"), ("IEnumerable<", "System.Collections.Generic"),
    ("HttpClient", "System.Net.Http"), ("Environment.", "System"), ("Console.", "System"), ("Convert.", "System"),
    ("Exception", "System"), ("Task", "System.Threading.Tasks"), ("IDictionary<", "System.Collections.Generic"), ("DateTime", "System"), ("Uri", "System"), ("Random", "System"),
)


_TYPE_DECL = re.compile(r"(public |internal )?(sealed |static )?(record|class|enum|interface|struct) ")
_ACCESS = re.compile(r"^(public |private |internal )", re.M)


class CSharpKit(Kit):
    name = L
    ext = ".cs"
    style = NameStyle(var="camel", func="pascal")
    indents = (("    ", 1.0),)
    frameworks = (MVC, CONSOLE, MINIMAL)
    specs = tuple(SPECS)
    fillers = MODULE_FILLERS + STMT_FILLERS
    transforms = ("var «out» = «in».Trim();", "var «out» = «in».ToLowerInvariant();", "var «out» = $\"{«in»}\";")
    neutral_uses = ("if («var».Length > «num»)\n{\n    «bail»\n}", '_logger.LogDebug("«msg» {Length}", «var».Length);')
    helper_bail = 'throw new ArgumentException("«msg»");'
    file_slots: ClassVar[dict[str, tuple[str, ...]]] = {
        "conn": ("_connection", "_conn", "connection"), "dbctx": ("_db", "_context", "_dbContext"),
        "BASE": ("BaseDir", "UploadRoot", "DataPath"), "KEY": ("_key", "Key"), "salt": ("_salt", "Salt"),
        "http": ("_http", "_httpClient", "client"), "xdoc": ("_document", "_xml"),
    }
    slot_decls: ClassVar[dict[str, str]] = {
        "conn": "private readonly SqlConnection «conn» = new(Environment.GetEnvironmentVariable(\"DB_CONN\"));",
        "dbctx": "private readonly AppDbContext «dbctx»;",
        "BASE": 'private const string «BASE» = "«dir»";',
        "KEY": "private static readonly byte[] «KEY» = RandomNumberGenerator.GetBytes(32);",
        "salt": "private static readonly byte[] «salt» = RandomNumberGenerator.GetBytes(16);",
        "http": "private static readonly HttpClient «http» = new();",
        "xdoc": "private readonly XmlDocument «xdoc» = new();",
    }

    def file_slot_makers(self, rng: random.Random):
        makers = super().file_slot_makers(rng)
        makers["main_cls"] = lambda bag: (bag.namer.cls().removesuffix("Controller")
                                          + ("Controller" if bag["framework"] == "aspnet" else ""))
        return makers

    def assign(self, var: str, expr: str) -> str:
        return f"var {var} = {expr};"

    def call(self, fn: str, args: list[str], bag: Bag) -> str:
        return f"{fn}({', '.join(args)});"

    def helper(self, fn: str, params: list[str], body: str, bag: Bag) -> str:
        sig = ", ".join(f"string {p}" for p in params)
        mod = "void" if bag["framework"] == "minimal" else "private void"  # local functions capture locals
        if "await " in body:
            mod = mod.replace("void", "async Task")
        doc = "/// <summary>«doc»</summary>\n" if bag.namer.rng.random() < 0.3 else ""
        return fill(f"{doc}{mod} {fn}({sig})\n{{\n    «body»\n}}", bag.child(body=body))

    def finish_block(self, text: str) -> str:
        if "await " in text and "public IActionResult" in text.split("{", 1)[0]:
            return text.replace("public IActionResult", "public async Task<IActionResult>", 1)
        if "await " in text and "=>\n{" in text and "async" not in text.split("=>", 1)[0]:
            return text.replace('", (', '", async (', 1)
        if "await " in text and "public void" in text.split("{", 1)[0]:
            return text.replace("public void", "public async Task", 1)
        return text

    def path(self, rng: random.Random, namer, framework: Framework, bag: Bag) -> str:
        if framework.name == "minimal":
            return "Program.cs"
        folder = "Controllers" if framework.name == "aspnet" else rng.choice(("Services", "Core", "Jobs"))
        return f"src/{bag['ns']}/{folder}/{bag['main_cls']}.cs"

    def render(self, parts: FileParts, framework: Framework, bag: Bag, rng: random.Random) -> str:
        bag.values.setdefault("ns", bag.namer.cls())
        blocks = join_blocks(parts.blocks, 1)
        decls = "\n".join(parts.decls)
        if framework.name == "minimal":
            # top-level statements: fields become locals, methods local functions, types go last
            top = [d for d in parts.decls if d.startswith("var ")]
            members = [d for d in parts.decls if not d.startswith("var ")]
            members = [m.replace("private ", "").replace("readonly ", "").replace("const ", "") for m in members]
            statements, types = [], []
            for block in parts.blocks:
                code_line = next((ln for ln in block.split("\n") if not ln.startswith("///")), "")
                if _TYPE_DECL.match(code_line):
                    types.append(block)
                else:
                    statements.append(_ACCESS.sub("", block))
            body = "\n\n".join(x for x in ("\n".join(top), "\n".join(members), join_blocks(statements, 1),
                                             framework.footer, join_blocks(types, 1)) if x)
        else:
            if "_logger." in blocks and "_logger" not in decls:
                decls = f"private readonly ILogger<{bag['main_cls']}> _logger;" + ("\n" + decls if decls else "")
            members = join_blocks([x for x in (decls, blocks) if x], 1)
            body = fill(framework.wrapper, bag.child(members=members))
            if rng.random() < 0.3:
                body = fill("/// <summary>\n/// «doc»\n/// </summary>\n", bag.child()) + body
            body = fill("namespace «ns»;\n\n", bag) + body
        usings = sorted({ns for trigger, ns in _USINGS if uses(body, trigger) or (trigger.startswith(".") and trigger in body)})
        if "ILogger" in body:
            usings = sorted(set(usings) | {"Microsoft.Extensions.Logging"})
        head = "\n".join(f"using {u};" for u in usings)
        return (head + "\n\n" if head else "") + body + "\n"


KIT = CSharpKit()
