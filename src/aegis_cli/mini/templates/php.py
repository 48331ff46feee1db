"""PHP: classic scripts, function-style pages, Laravel controllers, PDO/mysqli; Slim is held out.

Templates write PHP variables as ``$«v»``: slots hold bare names. Functions of script-style
files reach the connection through ``global``, added where a body uses it.
"""

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
)
from aegis_cli.mini.vocab import NameStyle

L = "php"


def spec(cwe, items, sanitizers=(), weight=1.0):
    return make_spec(L, cwe, items, list(sanitizers), weight)


_SUPERGLOBALS = (
    Source(expr='$_GET["«key»"]'), Source(expr='$_POST["«key»"]'), Source(expr='$_REQUEST["«key»"]'),
    Source(expr='$_GET["«key»"] ?? ""'), Source(expr='$_COOKIE["«key»"] ?? ""'), Source(expr='trim($_POST["«key»"] ?? "")'),
    Source(expr='filter_input(INPUT_GET, "«key»")'),
)

SCRIPT = Framework(
    name="script",
    sources=_SUPERGLOBALS,
    handler="«body»",
    responses=('echo json_encode(["status" => "ok"]);', 'echo "«msg»";', "http_response_code(204);"),
    bail='http_response_code(400);\nexit("«msg»");',
)

FUNCTIONS = Framework(
    name="functions",
    sources=_SUPERGLOBALS,
    handler="function «fn»()\n{\n    «body»\n}",
    responses=('echo json_encode(["status" => "ok"]);', 'echo "«msg»";', "return true;"),
    bail='http_response_code(400);\nreturn false;',
    footer="«routes»",
    route_line="«fn»();",
)

LARAVEL = Framework(
    name="laravel",
    imports=("Illuminate\\Http\\Request",),
    sources=(
        Source(expr='$request->input("«key»")'), Source(expr='$request->query("«key»")'), Source(expr='$request->get("«key»")'),
        Source(expr='$request->header("«hdr»")'), Source(expr='$request->cookie("«key»")'),
        Source(expr='(string) $request->input("«key»", "")'), Source(param="$«v»"),
    ),
    handler="public function «fn»(«params»)\n{\n    «body»\n}",
    base_params=("Request $request",),
    responses=('return response()->json(["status" => "ok"]);', 'return response("«msg»", 200);',
               "return response()->noContent();"),
    bail='abort(400, "«msg»");',
    wrapper="class «main_cls» extends Controller\n{\n    «members»\n}",
)

SLIM = Framework(
    name="slim",
    held=True,
    imports=("Psr\\Http\\Message\\ResponseInterface as Response", "Psr\\Http\\Message\\ServerRequestInterface as Request",
             "Slim\\Factory\\AppFactory"),
    decls=("$app = AppFactory::create();",),
    sources=(
        Source(expr='$request->getQueryParams()["«key»"] ?? ""'), Source(expr='$request->getParsedBody()["«key»"] ?? ""'),
        Source(expr='$args["«key»"]', route="/{«key»}"), Source(expr='$request->getHeaderLine("«hdr»")'),
    ),
    handler='$app->«method_l»("«route»", function (Request $request, Response $response, array $args) {\n    «body»\n});',
    responses=('$response->getBody()->write("«msg»");\nreturn $response;', "return $response->withStatus(204);"),
    bail="return $response->withStatus(400);",
    footer="$app->run();",
)

WEB = ("script", "functions", "slim")

SPECS = [
    spec("CWE-89", [
        V('$«id» = ⟦mysqli_query($«mysqli», "SELECT * FROM «tbl» WHERE «col» = \'" . $«v» . "\'")⟧;'),
        V('$«id» = ⟦$«pdo»->query("SELECT «col», «col2» FROM «tbl» WHERE «col3» = \'$«v»\'")⟧;'),
        V('$«id» = "DELETE FROM «tbl» WHERE «col» = " . $«v»;\n⟦$«pdo»->exec($«id»)⟧;'),
        V('$«id» = ⟦$«mysqli»->query("UPDATE «tbl» SET «col» = 1 WHERE «col2» = \'{$«v»}\'")⟧;'),
        V('$«id» = ⟦DB::select("SELECT * FROM «tbl» WHERE «col» = \'" . $«v» . "\'")⟧;', frameworks=("laravel",)),
        V('$«id» = ⟦DB::table("«tbl»")->whereRaw("«col» = \'$«v»\'")⟧->get();', frameworks=("laravel",)),
        V('$«id» = ⟦$«pdo»->query(\n    "SELECT * FROM «tbl» ORDER BY " . $«v»\n)⟧;', held=True),
        V('$«id» = ⟦mysql_query("SELECT * FROM «tbl» WHERE «col» = \'" . $«v» . "\'")⟧;', held=True),
        S('$«id» = $«pdo»->prepare("SELECT * FROM «tbl» WHERE «col» = ?");\n$«id»->execute([$«v»]);\n$«id2» = $«id»->fetchAll();'),
        S('$«id» = $«pdo»->prepare("SELECT «col» FROM «tbl» WHERE «col2» = :«col2»");\n$«id»->execute(["«col2»" => $«v»]);'),
        S('$«id» = mysqli_prepare($«mysqli», "SELECT * FROM «tbl» WHERE «col» = ?");\nmysqli_stmt_bind_param($«id», "s", $«v»);\nmysqli_stmt_execute($«id»);'),
        S('$«id» = DB::select("SELECT * FROM «tbl» WHERE «col» = ?", [$«v»]);', frameworks=("laravel",)),
        S('$«id» = DB::table("«tbl»")->where("«col»", $«v»)->get();', frameworks=("laravel",)),
        S('$«id» = $«pdo»->query("SELECT COUNT(*) FROM «tbl»")->fetchColumn();'),
        S('$«id» = $«pdo»->query("SELECT * FROM «tbl» WHERE «col» = " . (int) $«v»);', held=True),
    ], [San("$«out» = (int) $«in»;"), San("$«out» = intval($«in»);"),
        San("if (!ctype_alnum($«in»)) {\n    «bail»\n}", guard=True),
        San('$«out» = "\'" . mysqli_real_escape_string($«mysqli», $«in») . "\'";', held=True)], weight=1.7),
    spec("CWE-78", [
        V('⟦system("«cmd» " . $«v»)⟧;'),
        V('⟦exec("«cmd» $«v»", $«id»)⟧;'),
        V('$«id» = ⟦shell_exec("«cmd» " . $«v»)⟧;'),
        V('⟦passthru("«cmd» {$«v»}")⟧;'),
        V('$«id» = ⟦`«cmd» $«v»`⟧;'),
        V('$«id» = ⟦popen("«cmd» " . $«v», "r")⟧;', held=True),
        S('system("«cmd» " . escapeshellarg($«v»));'),
        S('exec("«cmd» «dir»", $«id»);'),
        S('$«id» = shell_exec("«cmd» " . escapeshellarg($«v») . " 2>&1");'),
        S('$«id» = proc_open(["«prog»", $«v»], [1 => ["pipe", "w"]], $«id2»);', held=True),
    ], [San("$«out» = escapeshellarg($«in»);"),
        San('if (!preg_match("/^[\\w.-]+$/", $«in»)) {\n    «bail»\n}', guard=True)], weight=1.5),
    spec("CWE-79", [
        V('⟦echo "<p>«msg»: " . $«v» . "</p>"⟧;', frameworks=("script", "functions")),
        V('⟦echo "<h1>Hello $«v»</h1>"⟧;', frameworks=("script", "functions")),
        V("⟦print($«v»)⟧;", frameworks=("script", "functions")),
        V('⟦printf("<div class=\'«word»\'>%s</div>", $«v»)⟧;', frameworks=("script", "functions")),
        V('return ⟦response("<h1>" . $«v» . "</h1>")⟧;', frameworks=("laravel",), terminal=True),
        V('⟦$response->getBody()->write("<p>" . $«v» . "</p>")⟧;\nreturn $response;', frameworks=("slim",), terminal=True),
        V('⟦echo \'<input value="\' . $«v» . \'">\'⟧;', frameworks=("script", "functions"), held=True, sanitizable=False),
        S('echo "<p>«msg»: " . htmlspecialchars($«v», ENT_QUOTES, "UTF-8") . "</p>";', frameworks=("script", "functions")),
        S('echo "<h1>Hello " . htmlentities($«v») . "</h1>";', frameworks=("script", "functions")),
        S('header("Content-Type: application/json");\necho json_encode(["«key»" => $«v»]);', frameworks=("script", "functions")),
        S('return response("<h1>" . e($«v») . "</h1>");', frameworks=("laravel",), terminal=True),
        S('return view("«word»", ["«key»" => $«v»]);', frameworks=("laravel",), terminal=True),
        S('$response->getBody()->write("<p>" . htmlspecialchars($«v») . "</p>");\nreturn $response;', frameworks=("slim",), terminal=True),
        S('printf("<div class=\'«word»\'>%s</div>", htmlspecialchars($«v», ENT_QUOTES));', frameworks=("script", "functions"), held=True),
    ], [San('$«out» = htmlspecialchars($«in», ENT_QUOTES, "UTF-8");'), San("$«out» = htmlentities($«in»);"),
        San("$«out» = strip_tags($«in»);", held=True)], weight=1.6),
    spec("CWE-22", [
        V('$«id» = ⟦file_get_contents("«dir»/" . $«v»)⟧;'),
        V('⟦include($«v» . ".php")⟧;'),
        V('$«id» = ⟦fopen(«BASE» . $«v», "r")⟧;'),
        V('⟦unlink(«BASE» . "/" . $«v»)⟧;'),
        V("⟦readfile(«BASE» . $«v»)⟧;"),
        V('⟦require_once "pages/" . $«v»⟧;', held=True),
        S('$«id» = file_get_contents("«dir»/" . basename($«v»));'),
        S('$«id» = realpath(«BASE» . "/" . $«v»);\nif ($«id» === false || !str_starts_with($«id», «BASE»)) {\n    «bail»\n}\nreadfile($«id»);'),
        S('$«id» = file_get_contents(«BASE» . "/«file»");'),
        S('$«id» = ["«word»" => "«word».php", "«word2»" => "«word2».php"];\ninclude $«id»[$«v»] ?? "«word».php";'),
        S('unlink(«BASE» . "/" . basename($«v»));', held=True),
    ], [San("$«out» = basename($«in»);"),
        San('if (str_contains($«in», "..")) {\n    «bail»\n}', guard=True, held=True)], weight=1.4),
    spec("CWE-94", [
        V('$«id» = ⟦create_function("", $«v»)⟧;'),
        V('$«id» = ⟦call_user_func($«v», "«word»")⟧;'),
        V("$«id» = ⟦$«v»()⟧;"),
        V('$«id» = ⟦preg_replace("/«word»/e", $«v», $«id2»)⟧;', held=True),
        S('$«id» = match ($«v») {\n    "«word»" => «fn2»(),\n    default => null,\n};'),
        S('if (in_array($«v», ["strtoupper", "strtolower"], true)) {\n    $«id» = call_user_func($«v», "«word»");\n}'),
        S('$«id» = preg_replace_callback("/«word»/", fn ($m) => strtoupper($m[0]), $«v»);', held=True),
    ], weight=0.7),
    spec("CWE-95", [
        V("$«id» = ⟦eval($«v»)⟧;"),
        V('⟦eval("\\$«id» = " . $«v» . ";")⟧;'),
        V("⟦assert($«v»)⟧;", held=True),
        S("$«id» = json_decode($«v», true);"),
        S("$«id» = intval($«v»);"),
        S('$«id» = eval("return «num» * «num2»;");'),
        S("$«id» = (float) $«v»;", held=True),
    ], [San('if (!preg_match("/^[0-9+*\\/(). -]{1,40}$/", $«in»)) {\n    «bail»\n}', guard=True)], weight=0.9),
    spec("CWE-502", [
        V("$«id» = ⟦unserialize($«v»)⟧;"),
        V("$«id» = ⟦unserialize(base64_decode($«v»))⟧;"),
        V('$«id» = ⟦unserialize($_COOKIE["«key»"])⟧;', kind="plain"),
        V("$«id» = ⟦unserialize(gzuncompress($«v»))⟧;", held=True),
        S("$«id» = json_decode($«v», true);"),
        S('$«id» = unserialize($«v», ["allowed_classes" => false]);'),
        S('$«id» = serialize(["«key»" => $«v»]);'),
        S('$«id» = json_decode(base64_decode($«v»), true, 16, JSON_THROW_ON_ERROR);', held=True),
    ], weight=1.2),
    spec("CWE-798", [
        V('⟦$«sec» = "«pw»"⟧;', kind="plain"),
        V('$«id» = new PDO("mysql:host=«host»;dbname=«word»", "«word2»", ⟦"«pw»"⟧);', kind="plain"),
        V('⟦define("«SEC»", "«secret»")⟧;', kind="module"),
        V('$«id» = ⟦mysqli_connect("«host»", "«word»", "«pw»", "«word2»")⟧;', kind="plain"),
        V('⟦const «SEC» = "«secret»";⟧', kind="module", frameworks=("laravel",), held=True),
        S('$«sec» = getenv("«SEC»");', kind="plain"),
        S('$«id» = new PDO("mysql:host=«host»;dbname=«word»", "«word2»", getenv("«SEC»"));', kind="plain"),
        S('define("«SEC»", $_ENV["«SEC»"] ?? "");', kind="module"),
        S('$«sec» = config("services.«word».key");', kind="plain", frameworks=("laravel",)),
        S('define("«CONST»", "«word»");', kind="module"),
        S('$«id» = mysqli_connect("«host»", "«word»", getenv("«SEC»"), "«word2»");', kind="plain", held=True),
    ], weight=1.2),
    spec("CWE-327", [
        V('$«id» = ⟦openssl_encrypt($«v», "DES-ECB", «KEY»)⟧;', kind="plain"),
        V('$«id» = ⟦openssl_encrypt($«v», "AES-128-ECB", «KEY», OPENSSL_RAW_DATA)⟧;', kind="plain"),
        V('$«id» = ⟦openssl_encrypt($«v», "rc4", «KEY»)⟧;', kind="plain"),
        V("$«id» = ⟦mcrypt_encrypt(MCRYPT_DES, «KEY», $«v», MCRYPT_MODE_ECB)⟧;", kind="plain", held=True),
        S('$«id2» = random_bytes(12);\n$«id» = openssl_encrypt($«v», "aes-256-gcm", «KEY», OPENSSL_RAW_DATA, $«id2», $«id3»);', kind="plain"),
        S("$«id2» = random_bytes(SODIUM_CRYPTO_SECRETBOX_NONCEBYTES);\n$«id» = sodium_crypto_secretbox($«v», $«id2», «KEY»);", kind="plain"),
        S('$«id» = openssl_encrypt($«v», "aes-256-cbc", «KEY», 0, random_bytes(16));', kind="plain", held=True),
    ], weight=0.9),
    spec("CWE-328", [
        V("$«id» = ⟦md5($«v»)⟧;", kind="plain"),
        V("$«id» = ⟦sha1($«v» . «salt»)⟧;", kind="plain"),
        V('$«id» = ⟦hash("md5", $«v»)⟧;', kind="plain"),
        V('$«id» = ⟦crypt($«v», "ab")⟧;', kind="plain", held=True),
        S("$«id» = password_hash($«v», PASSWORD_DEFAULT);", kind="plain"),
        S('$«id» = hash("sha256", $«v»);', kind="plain"),
        S("$«id» = password_hash($«v», PASSWORD_ARGON2ID);", kind="plain"),
        S("$«id» = password_verify($«v», $«id2»);", kind="plain", held=True),
    ], weight=1.0),
    spec("CWE-338", [
        V("$«sec» = ⟦rand(100000, 999999)⟧;", kind="plain"),
        V("$«sec» = ⟦mt_rand()⟧;", kind="plain"),
        V("$«sec» = ⟦uniqid()⟧;", kind="plain"),
        V('$«sec» = ⟦substr(str_shuffle("abcdefghijklmnopqrstuvwxyz0123456789"), 0, «num»)⟧;', kind="plain", held=True),
        S("$«sec» = bin2hex(random_bytes(32));", kind="plain"),
        S("$«sec» = random_int(100000, 999999);", kind="plain"),
        S("$«id» = rand(1, «num»);", kind="plain"),
        S("$«sec» = base64_encode(random_bytes(24));", kind="plain", held=True),
    ], weight=0.9),
    spec("CWE-295", [
        V('$«id» = curl_init("«url»");\n⟦curl_setopt($«id», CURLOPT_SSL_VERIFYPEER, false)⟧;', kind="plain"),
        V('$«id» = curl_init("«url»");\n⟦curl_setopt($«id», CURLOPT_SSL_VERIFYHOST, 0)⟧;', kind="plain"),
        V('$«id» = stream_context_create(["ssl" => [⟦"verify_peer" => false⟧, "verify_peer_name" => false]]);', kind="plain"),
        V('$«id» = new GuzzleHttp\\Client([⟦"verify" => false⟧]);', kind="plain", held=True),
        S('$«id» = curl_init("«url»");\ncurl_setopt($«id», CURLOPT_SSL_VERIFYPEER, true);', kind="plain"),
        S('$«id» = curl_init("«url»");\ncurl_setopt($«id», CURLOPT_SSL_VERIFYHOST, 2);', kind="plain"),
        S('$«id» = stream_context_create(["ssl" => ["verify_peer" => true, "cafile" => "/etc/ssl/certs/ca-certificates.crt"]]);', kind="plain"),
        S('$«id» = new GuzzleHttp\\Client(["verify" => true]);', kind="plain", held=True),
    ], weight=0.8),
    spec("CWE-611", [
        V('$«id» = ⟦simplexml_load_string($«v», "SimpleXMLElement", LIBXML_NOENT)⟧;'),
        V("$«id» = new DOMDocument();\n⟦$«id»->loadXML($«v», LIBXML_NOENT | LIBXML_DTDLOAD)⟧;"),
        V("⟦libxml_disable_entity_loader(false)⟧;\n$«id» = simplexml_load_string($«v»);", held=True),
        S("$«id» = simplexml_load_string($«v»);"),
        S("$«id» = new DOMDocument();\n$«id»->loadXML($«v», LIBXML_NONET);"),
        S('$«id» = simplexml_load_string($«v», "SimpleXMLElement", LIBXML_NONET);', held=True),
    ], weight=0.7),
    spec("CWE-918", [
        V("$«id» = ⟦file_get_contents($«v»)⟧;"),
        V("$«id» = ⟦curl_init($«v»)⟧;\ncurl_exec($«id»);"),
        V('$«id» = ⟦$«guzzle»->get($«v»)⟧;'),
        V('$«id» = ⟦file_get_contents("http://" . $«v» . "/«word»")⟧;', held=True, sanitizable=False),
        S('$«id» = file_get_contents("«url»?«key»=" . urlencode($«v»));'),
        S('$«id» = parse_url($«v», PHP_URL_HOST);\nif (!in_array($«id», ["«host»", "«host2»"], true)) {\n    «bail»\n}\n$«id2» = file_get_contents($«v»);'),
        S('$«id» = $«guzzle»->get("«url»", ["query" => ["«key»" => $«v»]]);', held=True),
    ], [San('if (parse_url($«in», PHP_URL_HOST) !== "«host»") {\n    «bail»\n}', guard=True)]),
    spec("CWE-601", [
        V('⟦header("Location: " . $«v»)⟧;\nexit;', frameworks=("script", "functions")),
        V('return ⟦redirect($«v»)⟧;', frameworks=("laravel",), terminal=True),
        V('return ⟦redirect()->away($«v»)⟧;', frameworks=("laravel",), terminal=True),
        V('return ⟦$response->withHeader("Location", $«v»)⟧->withStatus(302);', frameworks=("slim",), terminal=True),
        V('⟦header("Location: $«v»", true, 301)⟧;', frameworks=("script", "functions"), held=True),
        S('header("Location: /«word»");\nexit;', frameworks=("script", "functions")),
        S('return redirect()->route("«word»");', frameworks=("laravel",), terminal=True),
        S('return $response->withHeader("Location", "/«word»")->withStatus(302);', frameworks=("slim",), terminal=True),
        S('header("Location: /«word»?«key»=" . urlencode($«v»));', frameworks=("script", "functions"), held=True),
    ], [San('if (!str_starts_with($«in», "/") || str_starts_with($«in», "//")) {\n    «bail»\n}', guard=True)]),
    spec("CWE-90", [
        V('$«id» = ⟦ldap_search($«ldapc», "ou=«word»,dc=«word2»,dc=com", "(uid=" . $«v» . ")")⟧;'),
        V('$«id» = "(&(objectClass=person)(cn=$«v»))";\n$«id2» = ⟦ldap_search($«ldapc», "dc=«word»,dc=com", $«id»)⟧;'),
        S('$«id» = ldap_search($«ldapc», "ou=«word»,dc=«word2»,dc=com", "(uid=" . ldap_escape($«v», "", LDAP_ESCAPE_FILTER) . ")");'),
        S('$«id» = ldap_search($«ldapc», "dc=«word»,dc=com", "(objectClass=person)");'),
    ], [San('$«out» = ldap_escape($«in», "", LDAP_ESCAPE_FILTER);')], weight=0.5),
    spec("CWE-643", [
        V('$«id» = new DOMXPath($«xdoc»);\n$«id2» = ⟦$«id»->query("//«word»[@name=\'" . $«v» . "\']")⟧;'),
        V('$«id» = ⟦$«xml»->xpath("//«word»[«key»=\'$«v»\']")⟧;', held=True),
        S('$«id» = new DOMXPath($«xdoc»);\n$«id2» = $«id»->query("//«word»[@«key»]");'),
    ], [San('if (!preg_match("/^[A-Za-z0-9 _-]{1,64}$/", $«in»)) {\n    «bail»\n}', guard=True)], weight=0.4),
    spec("CWE-117", [
        V('⟦error_log("«msg»: " . $«v»)⟧;'),
        V('⟦$«logger»->info("«msg» $«v»")⟧;'),
        V('⟦syslog(LOG_WARNING, "«msg» " . $«v»)⟧;', held=True),
        S('error_log("«msg»: " . str_replace(["\\r", "\\n"], "", $«v»));'),
        S('$«logger»->info("«msg»", ["«key»" => $«v»]);'),
        S('error_log(sprintf("«msg» (%d chars)", strlen($«v»)));', held=True),
    ], [San('$«out» = preg_replace("/[\\r\\n]+/", " ", $«in»);')], weight=0.5),
    spec("CWE-532", [
        V('⟦error_log("login " . $«v» . " password=" . $«sec»)⟧;', kind="plain"),
        V('⟦$«logger»->debug("token: $«sec»")⟧;', kind="plain"),
        V('⟦file_put_contents("«dir»/app.log", "key=" . getenv("«SEC»") . PHP_EOL, FILE_APPEND)⟧;', kind="plain", held=True),
        S('error_log("login attempt for " . $«v»);', kind="plain"),
        S('$«logger»->debug("token: " . substr($«sec», 0, 4) . "****");', kind="plain"),
    ], weight=0.5),
    spec("CWE-209", [
        V('try {\n    $«id» = json_decode($«v», flags: JSON_THROW_ON_ERROR);\n} catch (Exception $e) {\n    ⟦echo $e->getMessage()⟧;\n}'),
        V('$«id» = mysqli_query($«mysqli», "SELECT 1") or ⟦die(mysqli_error($«mysqli»))⟧;'),
        V('try {\n    $«id» = json_decode($«v», flags: JSON_THROW_ON_ERROR);\n} catch (Exception $e) {\n    ⟦echo $e->getTraceAsString()⟧;\n}'),
        V('⟦ini_set("display_errors", "1")⟧;', kind="module", held=True),
        S('try {\n    $«id» = json_decode($«v», flags: JSON_THROW_ON_ERROR);\n} catch (Exception $e) {\n    error_log($e->getMessage());\n    http_response_code(500);\n    echo "internal error";\n}'),
        S('$«id» = mysqli_query($«mysqli», "SELECT 1");\nif ($«id» === false) {\n    error_log(mysqli_error($«mysqli»));\n}'),
        S('ini_set("display_errors", "0");', kind="module", held=True),
    ], weight=0.6),
    spec("CWE-614", [
        V('⟦setcookie("session", $«v»)⟧;', kind="plain"),
        V('⟦setcookie("«key»", $«v», time() + 3600, "/")⟧;', kind="plain"),
        V('⟦setcookie("sid", $«v», ["expires" => time() + 3600, "httponly" => true])⟧;', kind="plain", held=True),
        S('setcookie("session", $«v», ["secure" => true, "httponly" => true, "samesite" => "Strict"]);', kind="plain"),
        S('setcookie("«key»", $«v», time() + 3600, "/", "", true, true);', kind="plain"),
    ], weight=0.5),
    spec("CWE-434", [
        V('⟦move_uploaded_file($_FILES["«key»"]["tmp_name"], "uploads/" . $_FILES["«key»"]["name"])⟧;', kind="plain"),
        V('$«id» = «BASE» . "/" . basename($_FILES["«key»"]["name"]);\n⟦move_uploaded_file($_FILES["«key»"]["tmp_name"], $«id»)⟧;', kind="plain"),
        V('⟦$request->file("«key»")->move(«BASE», $request->file("«key»")->getClientOriginalName())⟧;', kind="plain",
          frameworks=("laravel",), held=True),
        S('$«id» = strtolower(pathinfo($_FILES["«key»"]["name"], PATHINFO_EXTENSION));\nif (!in_array($«id», ["png", "jpg", "pdf"], true)) {\n    «bail»\n}\n'
          'move_uploaded_file($_FILES["«key»"]["tmp_name"], «BASE» . "/" . bin2hex(random_bytes(16)) . "." . $«id»);', kind="plain"),
        S('$request->validate(["«key»" => "required|mimes:png,jpg|max:2048"]);\n$«id» = $request->file("«key»")->store("«word»");', kind="plain",
          frameworks=("laravel",), held=True),
    ], weight=0.5),
    spec("CWE-1333", [
        V('$«id» = ⟦preg_match("/" . $«v» . "/", $«id2»)⟧;'),
        V('$«id» = ⟦preg_match("/^(\\w+\\s?)*$/", $«v»)⟧;', sanitizable=False, held=True),
        S('$«id» = preg_match("/" . preg_quote($«v», "/") . "/", $«id2»);'),
        S('$«id» = preg_match("/^\\w+$/", $«v»);'),
    ], [San('$«out» = preg_quote($«in», "/");')], weight=0.4),
    spec("CWE-943", [
        V('$«id» = ⟦$«mongo»->find([\'$where\' => "this.«key» == \'" . $«v» . "\'"])⟧;'),
        V('$«id» = ⟦$«mongo»->findOne(json_decode($«v», true))⟧;', held=True),
        S('$«id» = $«mongo»->findOne(["«key»" => (string) $«v»]);'),
        S('$«id» = $«mongo»->find(["«key»" => [\'$eq\' => (string) $«v»]]);', held=True),
    ], weight=0.4),
]

MODULE_FILLERS = fillers(L, "module", [
    "function «fn»(array $«id»): int\n{\n    $«id2» = 0;\n    foreach ($«id» as $«id3») {\n        $«id2» += $«id3»[\"«key»\"] ?? 0;\n    }\n    return $«id2»;\n}",
    "const «CONST» = [\n    \"«key»\" => «num»,\n    \"«key2»\" => \"«word»\",\n];",
    "/**\n * «doc»\n */\nfunction «fn»(string $«id», int $«id2» = «num»): string\n{\n    return strlen($«id») > $«id2» ? substr($«id», 0, $«id2») . \"...\" : $«id»;\n}",
    ("class «Cls»\n{\n    private array $«id» = [];\n\n    public function «fn»(string $«id2»): self\n    {\n        $this->«id»[] = $«id2»;\n        return $this;\n    }\n\n"
    "    public function count(): int\n    {\n        return count($this->«id»);\n    }\n}", {"skip_frameworks": ("laravel",)}),
    "function «fn»(array $«id»): array\n{\n    return array_values(array_filter($«id», fn ($«id2») => !empty($«id2»[\"«key»\"])));\n}",
    "function «fn»(?DateTimeImmutable $«id» = null): string\n{\n    return ($«id» ?? new DateTimeImmutable())->format(\"Y-m-d\");\n}",
    "function «fn»(array $«id»): array\n{\n    $«id2» = [];\n    foreach ($«id» as $«id3») {\n        $«id2»[$«id3»[\"«key»\"]][] = $«id3»;\n    }\n    return $«id2»;\n}",
    ("enum «Cls»: string\n{\n    case «CONST» = \"«word»\";\n    case «CONST2» = \"«word2»\";\n}",
     {"held": True, "skip_frameworks": ("laravel",)}),
    ("function «fn»(int $«id», int $«id2» = «num»): array\n{\n    $«id» = max(1, $«id»);\n    return [($«id» - 1) * $«id2», $«id2»];\n}", {"held": True}),
    "function «fn»(string $«id»): string\n{\n    return ucfirst(strtolower(trim($«id»)));\n}",
    "function «fn»(string $«id»): int\n{\n    return match ($«id») {\n        \"«word»\" => 1,\n        \"«word2»\" => 2,\n        default => 0,\n    };\n}",
    "function «fn»(array $«id»): string\n{\n    return http_build_query($«id»);\n}",
    "function «fn»(float $«id»): string\n{\n    return number_format($«id», 2, \".\", \",\");\n}",
    ("interface «Cls»\n{\n    public function «fn»(string $«id»): ?array;\n}", {"skip_frameworks": ("laravel",)}),
    ("function «fn»(array $«id», string $«id2»): array\n{\n    usort($«id», fn ($a, $b) => $a[$«id2»] <=> $b[$«id2»]);\n    return $«id»;\n}",
     {"held": True}),
])
STMT_FILLERS = fillers(L, "stmt", [
    '$«id» = microtime(true);', '$«id» = ["«key»" => «num», "«key2»" => "«word»"];', "// «doc»", "$«id» = [];",
    "$«id» = «num» * «num2»;", ("# «msg»", {"held": True}),
])

_GLOBAL_NAMES = ("pdo", "db", "conn", "mysqli", "link", "ldapconn", "ds", "logger", "log", "guzzle", "httpClient",
                 "collection", "mongo", "dom", "xml", "sxml")
_GLOBAL_USE = re.compile(r"\$(" + "|".join(_GLOBAL_NAMES) + r")\b")


class PhpKit(Kit):
    name = L
    ext = ".php"
    style = NameStyle(var="camel", func="camel")
    indents = (("    ", 0.9), ("  ", 0.1))
    quote_restyle = True
    keep_quotes_if = "$"
    frameworks = (SCRIPT, FUNCTIONS, LARAVEL, SLIM)
    specs = tuple(SPECS)
    fillers = MODULE_FILLERS + STMT_FILLERS
    transforms = ("$«out» = trim($«in»);", "$«out» = strtolower($«in»);", "$«out» = (string) $«in»;",
                  '$«out» = $«in» ?: "«word»";')
    neutral_uses = ("if (strlen($«var») > «num») {\n    «bail»\n}", 'error_log("«msg» " . strlen($«var»));',
                    "if (empty($«var»)) {\n    «bail»\n}")
    helper_bail = 'throw new InvalidArgumentException("«msg»");'
    file_slots: ClassVar[dict[str, tuple[str, ...]]] = {
        "pdo": ("pdo", "db"), "mysqli": ("conn", "mysqli", "link"), "BASE": ("UPLOAD_DIR", "BASE_DIR", "STORAGE_PATH"),
        "KEY": ("ENCRYPTION_KEY", "SECRET_KEY"), "salt": ("SALT",), "ldapc": ("ldapconn", "ds"), "logger": ("logger", "log"),
        "guzzle": ("guzzle", "httpClient"), "mongo": ("collection", "mongo"), "xdoc": ("dom",), "xml": ("xml", "sxml"),
    }
    slot_decls: ClassVar[dict[str, str]] = {
        "pdo": '$«pdo» = new PDO("mysql:host=«host»;dbname=«word»", "«word2»", getenv("DB_PASS"));',
        "mysqli": '$«mysqli» = mysqli_connect("«host»", "«word»", getenv("DB_PASS"), "«word2»");',
        "BASE": 'const «BASE» = "«dir»";',
        "KEY": 'define("«KEY»", getenv("«CONST»"));',
        "salt": 'define("«salt»", getenv("«CONST»_SALT"));',
        "ldapc": '$«ldapc» = ldap_connect("ldap://«host»");',
        "logger": '$«logger» = new Monolog\\Logger("«word»");',
        "guzzle": "$«guzzle» = new GuzzleHttp\\Client();",
        "mongo": '$«mongo» = (new MongoDB\\Client())->«word»->«tbl»;',
        "xdoc": '$«xdoc» = new DOMDocument();\n$«xdoc»->load("«dir»/«word».xml");',
        "xml": '$«xml» = simplexml_load_file("«dir»/«word».xml");',
    }

    def assign(self, var: str, expr: str) -> str:
        return f"${var} = {expr};"

    def call(self, fn: str, args: list[str], bag: Bag) -> str:
        target = f"$this->{fn}" if bag["framework"] == "laravel" else fn
        return f"{target}({', '.join('$' + a for a in args)});"

    def helper(self, fn: str, params: list[str], body: str, bag: Bag) -> str:
        rng = bag.namer.rng
        sig = ", ".join(("string $" if rng.random() < 0.4 else "$") + p for p in params)
        doc = "/**\n * «doc»\n */\n" if rng.random() < 0.3 else ""
        vis = "private " if bag["framework"] == "laravel" else ""
        return fill(f"{doc}{vis}function {fn}({sig})\n{{\n    «body»\n}}", bag.child(body=body))

    def finish_block(self, text: str) -> str:
        """Functions of script-style files see file-level variables only through ``global``."""
        head, sep, rest = text.partition("{\n")
        if not sep or "function" not in head:
            return text
        names = sorted(set(_GLOBAL_USE.findall(rest)))
        if not names:
            return text
        indent = rest[: len(rest) - len(rest.lstrip())]
        return f"{head}{{\n{indent}global {', '.join('$' + n for n in names)};\n{rest}"

    def path(self, rng: random.Random, namer, framework: Framework, bag: Bag) -> str:
        if framework.name == "laravel":
            return f"app/Http/Controllers/{bag['main_cls']}.php"
        folder = rng.choice(("public", "www", "src", "admin", "includes", "api"))
        return f"{folder}/{namer.func() if rng.random() < 0.5 else namer.word()}.php"

    def file_slot_makers(self, rng: random.Random):
        makers = super().file_slot_makers(rng)
        makers["main_cls"] = lambda bag: bag.namer.cls().removesuffix("Controller") + "Controller"
        return makers

    def render(self, parts: FileParts, framework: Framework, bag: Bag, rng: random.Random) -> str:
        blocks = join_blocks(parts.blocks, 1)
        decls = "\n".join(parts.decls)
        head = ["<?php"]
        if rng.random() < 0.2:
            head.append("\ndeclare(strict_types=1);")
        if framework.name == "laravel":
            head.append("\nnamespace App\\Http\\Controllers;")
            uses = ["Illuminate\\Http\\Request"] + (["Illuminate\\Support\\Facades\\DB"] if "DB::" in blocks else [])
            head.append("\n" + "\n".join(f"use {u};" for u in sorted(set(uses) | set(parts.imports))))
            body = fill(framework.wrapper, bag.child(members=blocks))
            if rng.random() < 0.3:
                body = fill("/**\n * «doc»\n */\n", bag.child()) + body
            # file-level connections and constants sit before the class (methods reach them via global)
            return "\n".join(head) + "\n\n" + (decls + "\n\n" if decls else "") + body + "\n"
        if parts.imports:
            head.append("\n" + "\n".join(f"use {u};" for u in parts.imports))
        if rng.random() < 0.3:
            head.append("\nrequire_once __DIR__ . \"/" + rng.choice(("vendor/autoload.php", "config.php", "db.php", "bootstrap.php")) + "\";")
        footer = ""
        if framework.footer:
            lines = [fill(framework.route_line, bag.child(fn=fn)) for fn, _, _ in parts.handlers] if framework.route_line else []
            footer = fill(framework.footer, bag.child(routes="\n".join(lines)))
        sections = ["\n".join(head), decls, blocks, footer]
        return "\n\n".join(s for s in sections if s.strip()) + "\n"


KIT = PhpKit()
