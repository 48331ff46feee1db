"""Python: Flask, Django, FastAPI, Tornado, aiohttp, Falcon, AWS Lambda, library/CLI code; Bottle is reserved for the held-out split."""

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
)
from aegis_cli.mini.vocab import NameStyle

L = "python"


def spec(cwe, items, sanitizers=(), weight=1.0):
    return make_spec(L, cwe, items, list(sanitizers), weight)


# ---------------------------------------------------------------------------------------------
# frameworks
# ---------------------------------------------------------------------------------------------
FLASK = Framework(
    name="flask",
    imports=("from flask import Flask, abort, jsonify, request",),
    decls=("app = Flask(__name__)",),
    sources=(
        Source(expr='request.args.get("«key»", "")'), Source(expr='request.args["«key»"]'),
        Source(expr='request.form.get("«key»", "")'), Source(expr='request.form["«key»"]'),
        Source(expr='request.values.get("«key»", "")'),
        Source(expr='request.get_json(force=True).get("«key»", "")'),
        Source(expr='request.headers.get("«hdr»", "")'), Source(expr='request.cookies.get("«key»", "")'),
        Source(param="«v»", route="/<«v»>"),
        Source(expr='request.get_data(as_text=True)'), Source(expr='request.view_args["«key»"]'),
    ),
    handler='@app.route("«route»", methods=["«method»"])\ndef «fn»(«params»):\n    «body»',
    responses=('return jsonify(status="ok")', 'return "", 204', 'return jsonify({"«key»": «num»})',
               'return {"result": "«word»"}'),
    bail='abort(400)',
    footer='if __name__ == "__main__":\n    app.run(host="127.0.0.1", port=«port»)',
)

DJANGO = Framework(
    name="django",
    imports=("from django.http import HttpResponseBadRequest, JsonResponse",),
    sources=(
        Source(expr='request.GET.get("«key»", "")'), Source(expr='request.GET["«key»"]'),
        Source(expr='request.POST.get("«key»", "")'), Source(expr='request.POST["«key»"]'),
        Source(expr='request.headers.get("«hdr»", "")'), Source(expr='request.COOKIES.get("«key»", "")'),
        Source(expr='request.body.decode()'), Source(expr='json.loads(request.body).get("«key»", "")'),
        Source(expr='request.META.get("HTTP_«CONST»", "")'),
        Source(param="«v»"),
    ),
    handler='«django_deco»def «fn»(«params»):\n    «body»',
    base_params=("request",),
    responses=('return JsonResponse({"status": "ok"})', 'return JsonResponse({"«key»": «num»})',
               'return JsonResponse({"«key»": "«word»"}, status=201)'),
    bail='return HttpResponseBadRequest("«msg»")',
    footer='urlpatterns = [\n    «routes»\n]',
    route_line='path("«route_rel»/", «fn»),',
)

FASTAPI = Framework(
    name="fastapi",
    imports=("from fastapi import FastAPI, Form, Header, HTTPException, Query",),
    decls=("app = FastAPI()",),
    sources=(
        Source(param="«v»: str"), Source(param='«v»: str = ""'), Source(param='«v»: str = Query("")'),
        Source(param="«v»: str = Query(..., max_length=«num»)"), Source(param="«v»: str = Form(...)"),
        Source(param='«v»: str = Header("")'), Source(param="«v»: str", route="/{«v»}"),
    ),
    handler='@app.«method_l»("«route»")\n«async_kw»def «fn»(«params»):\n    «body»',
    responses=('return {"status": "ok"}', 'return {"«key»": «num»}', 'return {"«key»": "«word»"}'),
    bail='raise HTTPException(status_code=400, detail="«msg»")',
)

LIBRARY = Framework(
    name="library",
    sources=(
        Source(param="«v»"), Source(param="«v»: str"), Source(expr="sys.argv[1]"),
        Source(expr='input("«msg»: ")'), Source(expr='os.environ.get("«CONST»", "")'),
        Source(stmt='«id» = argparse.ArgumentParser(description="«doc»")\n«id».add_argument("«key»")\n'
                    '«v» = «id».parse_args().«key»'),
    ),
    handler='def «fn»(«params»):\n    «body»',
    responses=("return True", "return None", 'print("«msg»")', "return 0"),
    bail='raise ValueError("«msg»")',
)

TORNADO = Framework(
    name="tornado",
    imports=("import tornado.web",),
    sources=(
        Source(expr='self.get_argument("«key»", "")'), Source(expr='self.get_argument("«key»")'),
        Source(expr='self.get_query_argument("«key»", "")'), Source(expr='self.get_body_argument("«key»", "")'),
        Source(expr='self.request.headers.get("«hdr»", "")'),
        Source(expr='tornado.escape.json_decode(self.request.body).get("«key»", "")'),
        Source(param="«v»"),
    ),
    handler='class «Cls9»(tornado.web.RequestHandler):\n    «async_kw»def «method_l»(«params»):\n        «body»',
    base_params=("self",),
    responses=('self.write({"status": "ok"})', 'self.set_status(204)', 'self.finish({"«key»": «num»})',
               'self.write("«msg»")'),
    bail='raise tornado.web.HTTPError(400)',
)

AIOHTTP = Framework(
    name="aiohttp",
    imports=("from aiohttp import web",),
    sources=(
        Source(expr='request.match_info["«key»"]', route="/{«key»}"), Source(expr='request.match_info.get("«key»", "")', route="/{«key»}"),
        Source(expr='(await request.post()).get("«key»", "")'), Source(expr='(await request.json()).get("«key»", "")'),
        Source(expr='request.rel_url.query["«key»"]'), Source(expr='request.headers.get("«hdr»", "")'),
        Source(expr='request.cookies.get("«key»", "")'),
    ),
    handler='async def «fn»(«params»):\n    «body»',
    base_params=("request",),
    responses=('return web.json_response({"status": "ok"})', 'return web.Response(text="«msg»")',
               'return web.json_response({"«key»": «num»})', 'return web.Response(status=204)'),
    bail='raise web.HTTPBadRequest(reason="«msg»")',
    footer='app = web.Application()\napp.add_routes([\n    «routes»\n])',
    route_line='web.route("*", "«route»", «fn»),',
)

FALCON = Framework(
    name="falcon",
    imports=("import falcon",),
    decls=("app = falcon.App()",),
    sources=(
        Source(expr='req.get_param("«key»") or ""'), Source(expr='req.get_param("«key»", required=True)'),
        Source(expr='req.params.get("«key»", "")'), Source(expr='req.media.get("«key»", "")'),
        Source(expr='req.cookies.get("«key»", "")'), Source(param="«v»"),
    ),
    handler='class «Cls9»:\n    def on_«method_l»(«params»):\n        «body»',
    base_params=("self", "req", "resp"),
    responses=('resp.media = {"status": "ok"}', 'resp.status = falcon.HTTP_204', 'resp.text = "«msg»"',
               'resp.media = {"«key»": «num»}'),
    bail='raise falcon.HTTPBadRequest(title="«msg»")',
)

LAMBDA = Framework(
    name="lambda",
    sources=(
        Source(expr='event["queryStringParameters"]["«key»"]'),
        Source(expr='(event.get("queryStringParameters") or {}).get("«key»", "")'),
        Source(expr='json.loads(event["body"])["«key»"]'), Source(expr='json.loads(event.get("body") or "{}").get("«key»", "")'),
        Source(expr='event["pathParameters"]["«key»"]'), Source(expr='event.get("headers", {}).get("«hdr»", "")'),
    ),
    handler='def «fn»(«params»):\n    «body»',
    base_params=("event", "context"),
    responses=('return {"statusCode": 200, "body": json.dumps({"status": "ok"})}', 'return {"statusCode": 204}',
               'return {"statusCode": 200, "body": json.dumps({"«key»": «num»})}'),
    bail='return {"statusCode": 400, "body": "«msg»"}',
)

BOTTLE = Framework(
    name="bottle",
    held=True,
    imports=("from bottle import Bottle, abort, request",),
    decls=("app = Bottle()",),
    sources=(
        Source(expr='request.query.get("«key»", "")'), Source(expr='request.forms.get("«key»", "")'),
        Source(expr="request.query.«key»"), Source(expr='request.get_header("«hdr»", "")'),
        Source(expr='request.get_cookie("«key»", "")'), Source(param="«v»", route="/<«v»>"),
    ),
    handler='@app.«method_l»("«route»")\ndef «fn»(«params»):\n    «body»',
    responses=('return {"status": "ok"}', 'return "«msg»"', 'return {"«key»": «num»}'),
    bail='abort(400, "«msg»")',
    footer='if __name__ == "__main__":\n    app.run(host="localhost", port=«port»)',
)

WEB = ("flask", "django", "fastapi", "bottle", "tornado", "aiohttp", "falcon", "lambda")

# ---------------------------------------------------------------------------------------------
# sinks and look-alikes, per CWE
# ---------------------------------------------------------------------------------------------
SQL_SAN = [
    San('«out» = str(int(«in»))'),
    San('if not re.fullmatch(r"[A-Za-z0-9_]{1,64}", «in»):\n    «bail»', guard=True),
    San('if not «in».isalnum():\n    «bail»', guard=True, held=True),
]

SPECS = [
    spec("CWE-89", [
        V('«cur» = «db».cursor()\n⟦«cur».execute("SELECT * FROM «tbl» WHERE «col» = \'" + «v» + "\'")⟧\n«id» = «cur».fetchall()'),
        V('«cur» = «db».cursor()\n⟦«cur».execute(f"SELECT «col», «col2» FROM «tbl» WHERE «col3» = \'{«v»}\'")⟧\n«id» = «cur».fetchone()'),
        V('«id» = "DELETE FROM «tbl» WHERE «col» = \'%s\'" % «v»\n⟦«db».execute(«id»)⟧\n«db».commit()'),
        V('«cur» = «db».cursor()\n⟦«cur».execute(\n    "UPDATE «tbl» SET «col» = 1 WHERE «col2» = \'{}\'".format(«v»)\n)⟧'),
        V('«id» = "SELECT «col» FROM «tbl» ORDER BY " + «v»\n«id2» = ⟦«db».execute(«id»)⟧.fetchall()'),
        V('«id» = ⟦«db».execute(text(f"SELECT * FROM «tbl» WHERE «col» LIKE \'%{«v»}%\'"))⟧.all()',
          imports=("from sqlalchemy import text",)),
        V('«id» = list(⟦«Cls».objects.raw("SELECT * FROM «tbl» WHERE «col» = \'%s\'" % «v»)⟧)',
          held=True),
        V('«id» = ⟦pd.read_sql(f"SELECT * FROM «tbl» WHERE «col» = {«v»}", «db»)⟧', held=True,
          imports=("import pandas as pd",)),
        S('«cur» = «db».cursor()\n«cur».execute("SELECT * FROM «tbl» WHERE «col» = ?", («v»,))\n«id» = «cur».fetchall()'),
        S('«cur» = «db».cursor()\n«cur».execute("SELECT «col», «col2» FROM «tbl» WHERE «col3» = %s", [«v»])\n«id» = «cur».fetchone()'),
        S('«db».execute("DELETE FROM «tbl» WHERE «col» = :«col»", {"«col»": «v»})\n«db».commit()'),
        S('«id» = «db».execute(text("SELECT * FROM «tbl» WHERE «col» LIKE :pattern"), {"pattern": f"%{«v»}%"}).all()',
          imports=("from sqlalchemy import text",)),
        S('«id» = list(«Cls».objects.filter(«col»=«v»))'),
        S('«id» = {"«col»": "«col»", "«col2»": "«col2»"}.get(«v», "«col»")\n'
          '«id2» = «db».execute("SELECT «col3» FROM «tbl» ORDER BY " + «id»).fetchall()'),
        S('«cur» = «db».cursor()\n«cur».execute("SELECT COUNT(*) FROM «tbl»")\n«id» = «cur».fetchone()[0]'),
        S('«id» = «db».execute(\n    "SELECT * FROM «tbl» WHERE «col» = ? AND «col2» = ?",\n    («v», «num»),\n).fetchall()',
          held=True),
    ], SQL_SAN, weight=1.6),
    spec("CWE-78", [
        V('⟦os.system("«cmd» " + «v»)⟧'),
        V('⟦subprocess.call("«cmd» %s" % «v», shell=True)⟧'),
        V('«id» = ⟦subprocess.run(f"«cmd» {«v»}", shell=True, capture_output=True, text=True)⟧'),
        V('«id» = ⟦os.popen("«cmd» " + «v»)⟧.read()'),
        V('«id» = ⟦subprocess.Popen(\n    "«cmd» " + «v»,\n    shell=True,\n    stdout=subprocess.PIPE,\n)⟧'),
        V('«id» = "«cmd» {}".format(«v»)\n⟦os.system(«id»)⟧'),
        V('«id» = ⟦subprocess.check_output(["sh", "-c", "«cmd» " + «v»])⟧', held=True),
        V('⟦subprocess.getoutput(f"«cmd» {«v»}")⟧', held=True),
        S('subprocess.run(["«prog»", «v»], check=True, capture_output=True)'),
        S('«id» = subprocess.check_output(["«prog»", "--", «v»], text=True)'),
        S('os.system("«cmd» «dir»")'),
        S('«id» = subprocess.run(["«prog»", «v»], shell=False, timeout=«num»)'),
        S('«id» = subprocess.run(f"«cmd» {shlex.quote(«v»)}", shell=True, check=True)'),
        S('«id» = subprocess.Popen(\n    ["«prog»", «v»],\n    stdout=subprocess.PIPE,\n)', held=True),
    ], [San('«out» = shlex.quote(«in»)'),
        San('if not re.fullmatch(r"[\\w.-]+", «in»):\n    «bail»', guard=True),
        San('if any(c in «in» for c in ";|&$`<>"):\n    «bail»', guard=True, held=True)], weight=1.6),
    spec("CWE-79", [
        V('⟦«id» = jinja2.Environment(loader=jinja2.FileSystemLoader("«dir»"), autoescape=False)⟧', kind="plain"),
        S('«id» = jinja2.Environment(loader=jinja2.FileSystemLoader("«dir»"), autoescape=jinja2.select_autoescape())',
          kind="plain"),
        V('return ⟦"<h1>«word» " + «v» + "</h1>"⟧', frameworks=("flask", "bottle"), terminal=True),
        V('return ⟦make_response(f"<div class=\\"«word»\\">{«v»}</div>")⟧', frameworks=("flask",),
          terminal=True, imports=("from flask import make_response",)),
        V('return ⟦Markup("<b>%s</b>" % «v»)⟧', frameworks=("flask",), terminal=True,
          imports=("from markupsafe import Markup",)),
        V('return «fn2»(«v»)', frameworks=("flask", "bottle"), terminal=True,
          block='def «fn2»(«id2»):\n    return ⟦"<li class=\'«word»\'>" + «id2» + "</li>"⟧'),
        V('return ⟦HttpResponse("<p>" + «v» + "</p>")⟧', frameworks=("django",), terminal=True,
          imports=("from django.http import HttpResponse",)),
        V('return ⟦HttpResponse(mark_safe(f"<a href=\'/«word»\'>{«v»}</a>"))⟧', frameworks=("django",),
          terminal=True, imports=("from django.http import HttpResponse", "from django.utils.safestring import mark_safe")),
        V('return ⟦HTMLResponse(f"<p>«msg»: {«v»}</p>")⟧', frameworks=("fastapi",), terminal=True,
          imports=("from fastapi.responses import HTMLResponse",)),
        V('«id» = "<table><tr><td>%s</td></tr></table>" % «v»\nreturn ⟦HTMLResponse(content=«id»)⟧',
          frameworks=("fastapi",), terminal=True, imports=("from fastapi.responses import HTMLResponse",), held=True),
        V('«id» = ⟦"<span>{}</span>".format(«v»)⟧\nreturn «id»', frameworks=("flask", "bottle"), terminal=True, held=True),
        S('return render_template("«word».html", «key»=«v»)', frameworks=("flask",), terminal=True,
          imports=("from flask import render_template",)),
        S('return "<h1>«word» " + escape(«v») + "</h1>"', frameworks=("flask", "bottle"), terminal=True,
          imports=("from markupsafe import escape",)),
        S('return jsonify(«key»=«v»)', frameworks=("flask",), terminal=True),
        S('return f"<p>{html.escape(«v»)}</p>"', frameworks=("flask", "bottle"), terminal=True),
        S('return Markup("<b>%s</b>") % «v»', frameworks=("flask",), terminal=True,
          imports=("from markupsafe import Markup",), held=True),
        S('return render(request, "«word».html", {"«key»": «v»})', frameworks=("django",), terminal=True,
          imports=("from django.shortcuts import render",)),
        S('return HttpResponse(format_html("<p>{}</p>", «v»))', frameworks=("django",), terminal=True,
          imports=("from django.http import HttpResponse", "from django.utils.html import format_html")),
        S('return HttpResponse(escape(«v»))', frameworks=("django",), terminal=True,
          imports=("from django.http import HttpResponse", "from django.utils.html import escape")),
        S('return HTMLResponse(f"<p>«msg»: {html.escape(«v»)}</p>")', frameworks=("fastapi",), terminal=True,
          imports=("from fastapi.responses import HTMLResponse",)),
        S('return template("<p>{{«id»}}</p>", «id»=«v»)', frameworks=("bottle",), terminal=True,
          imports=("from bottle import template",)),
        S('return «fn2»(«v»)', frameworks=("flask", "bottle"), terminal=True,
          block='def «fn2»(«id2»):\n    return "<li class=\'«word»\'>" + html.escape(«id2») + "</li>"'),
        V('⟦self.write("<p>«word» " + «v» + "</p>")⟧', frameworks=("tornado",), terminal=True),
        V('⟦self.finish(f"<div class=\'«word»\'>{«v»}</div>")⟧', frameworks=("tornado",), terminal=True),
        S('self.write("<p>«word» " + tornado.escape.xhtml_escape(«v») + "</p>")', frameworks=("tornado",), terminal=True),
        S('self.render("«word».html", «key»=«v»)', frameworks=("tornado",), terminal=True),
        V('return ⟦web.Response(text=f"<h2>{«v»}</h2>", content_type="text/html")⟧', frameworks=("aiohttp",), terminal=True),
        S('return web.Response(text=f"<h2>{html.escape(«v»)}</h2>", content_type="text/html")', frameworks=("aiohttp",),
          terminal=True),
        V('resp.content_type = falcon.MEDIA_HTML\n⟦resp.text = "<p>" + «v» + "</p>"⟧', frameworks=("falcon",), terminal=True),
        S('resp.content_type = falcon.MEDIA_HTML\nresp.text = "<p>" + html.escape(«v») + "</p>"', frameworks=("falcon",),
          terminal=True),
        V('return ⟦{"statusCode": 200, "headers": {"Content-Type": "text/html"}, "body": "<p>" + «v» + "</p>"}⟧',
          frameworks=("lambda",), terminal=True),
        S('return {"statusCode": 200, "headers": {"Content-Type": "text/html"}, "body": "<p>" + html.escape(«v») + "</p>"}',
          frameworks=("lambda",), terminal=True),
    ], [San('«out» = html.escape(«in»)'), San('«out» = escape(«in»)', imports=("from markupsafe import escape",)),
        San('«out» = bleach.clean(«in»)', held=True)], weight=1.5),
    spec("CWE-22", [
        V('with ⟦open(os.path.join(«BASE», «v»))⟧ as «id»:\n    «id2» = «id».read()'),
        V('«id» = ⟦open(f"«dir»/{«v»}", "rb")⟧.read()'),
        V('return ⟦send_file(os.path.join(«BASE», «v»))⟧', frameworks=("flask",), terminal=True,
          imports=("from flask import send_file",)),
        V('«id» = ⟦(Path(«BASE») / «v»).read_text()⟧'),
        V('⟦shutil.copy(os.path.join(«BASE», «v»), "«dir»/«file»")⟧'),
        V('⟦os.remove(os.path.join(«BASE», «v»))⟧'),
        V('«id» = ⟦open(«BASE» + "/" + «v», "rb")⟧.read()'),
        V('with ⟦io.open(os.path.join(«BASE», «v»), encoding="utf-8")⟧ as «id»:\n    «id2» = «id».read()'),
        V('with ⟦open(os.path.join(«BASE», «v»), "w")⟧ as «id»:\n    «id».write("«word»")'),
        V('«id» = ⟦os.listdir(os.path.join(«BASE», «v»))⟧'),
        V('⟦shutil.rmtree(os.path.join(«BASE», «v»))⟧'),
        V('«id» = ⟦Path(«BASE», «v»).read_bytes()⟧'),
        V('return ⟦send_file(f"{«BASE»}/{«v»}")⟧', frameworks=("flask",), terminal=True,
          imports=("from flask import send_file",)),
        V('return ⟦FileResponse(os.path.join(«BASE», «v»))⟧', frameworks=("fastapi",), terminal=True,
          imports=("from fastapi.responses import FileResponse",)),
        V('return ⟦FileResponse(open(os.path.join(settings.MEDIA_ROOT, «v»), "rb"))⟧', frameworks=("django",),
          terminal=True, imports=("from django.conf import settings", "from django.http import FileResponse")),
        V('with ⟦open(os.path.join(«BASE», «v»), "rb")⟧ as «id»:\n    self.write(«id».read())', frameworks=("tornado",),
          terminal=True),
        V('return ⟦web.FileResponse(os.path.join(«BASE», «v»))⟧', frameworks=("aiohttp",), terminal=True),
        V('⟦resp.stream = open(os.path.join(«BASE», «v»), "rb")⟧', frameworks=("falcon",), terminal=True),
        V('«id» = ⟦Path(«BASE»).joinpath(«v»).read_text()⟧'),
        V('⟦os.unlink(«BASE» + os.sep + «v»)⟧'),
        V('«id» = ⟦codecs.open(os.path.join(«BASE», «v»), encoding="utf-8")⟧.read()'),
        S('return web.FileResponse(os.path.join(«BASE», "«file»"))', frameworks=("aiohttp",), terminal=True),
        S('resp.stream = open(os.path.join(«BASE», os.path.basename(«v»)), "rb")', frameworks=("falcon",), terminal=True),
        S('«id» = Path(«BASE»).joinpath("«file»").read_text()'),
        V('with tarfile.open(os.path.join(«BASE», "«file».tar.gz")) as «id»:\n    ⟦«id».extractall(«v»)⟧', held=True,
          sanitizable=False),
        V('return ⟦FileResponse(«BASE» + "/" + «v»)⟧', frameworks=("fastapi",), terminal=True,
          imports=("from fastapi.responses import FileResponse",), held=True),
        S('with open(os.path.join(«BASE», os.path.basename(«v»))) as «id»:\n    «id2» = «id».read()'),
        S('«id» = os.path.realpath(os.path.join(«BASE», «v»))\n'
          'if not «id».startswith(os.path.realpath(«BASE») + os.sep):\n    «bail»\n'
          'with open(«id», "rb") as «id2»:\n    «id3» = «id2».read()'),
        S('return send_from_directory(«BASE», «v»)', frameworks=("flask",), terminal=True,
          imports=("from flask import send_from_directory",)),
        S('with open(os.path.join(«BASE», "«file»")) as «id»:\n    «id2» = «id».read()'),
        S('«id» = open(«BASE» + "/«file»", "rb").read()'),
        S('«id» = os.listdir(«BASE»)'),
        S('return FileResponse(os.path.join(«BASE», "«file»"))', frameworks=("fastapi",), terminal=True,
          imports=("from fastapi.responses import FileResponse",)),
        S('«id» = safe_join(«BASE», «v»)\nif «id» is None:\n    «bail»\nreturn send_file(«id»)', frameworks=("flask",),
          terminal=True, imports=("from flask import send_file", "from werkzeug.security import safe_join")),
        S('«id» = (Path(«BASE») / «v»).resolve()\nif not «id».is_relative_to(Path(«BASE»).resolve()):\n'
          '    «bail»\n«id2» = «id».read_text()'),
        S('with tarfile.open(os.path.join(«BASE», "«file».tar.gz")) as «id»:\n    «id».extractall("«dir»", filter="data")',
          held=True),
    ], [San('«out» = os.path.basename(«in»)'),
        San('«out» = secure_filename(«in»)', imports=("from werkzeug.utils import secure_filename",)),
        San('if ".." in «in» or «in».startswith(("/", "\\\\")):\n    «bail»', guard=True, held=True)], weight=1.4),
    spec("CWE-94", [
        V('⟦exec(«v»)⟧'),
        V('⟦exec(compile(«v», "<«word»>", "exec"))⟧'),
        V('«id» = ⟦importlib.import_module(«v»)⟧'),
        V('«id» = ⟦__import__(«v»)⟧'),
        V('«id» = ⟦compile(«v», "<string>", "eval")⟧'),
        V('⟦exec(«v», {"__builtins__": {}})⟧'),
        V('⟦exec(«v», globals())⟧'),
        V('«id» = ⟦jinja2.Environment().from_string(«v»)⟧.render(«key»="«word»")'),
        V('«id» = ⟦Environment().from_string(«v»)⟧.render()', imports=("from jinja2 import Environment",)),
        V('return ⟦render_template_string("<p>" + «v» + "</p>")⟧', frameworks=("flask",), terminal=True,
          imports=("from flask import render_template_string",)),
        V('return ⟦render_template_string(«v»)⟧', frameworks=("flask",), terminal=True,
          imports=("from flask import render_template_string",)),
        V('«id» = ⟦Template(«v»).render(«key»="«word»")⟧', imports=("from jinja2 import Template",), held=True),
        S('return render_template_string("<p>{{ «id» }}</p>", «id»=«v»)', frameworks=("flask",), terminal=True,
          imports=("from flask import render_template_string",)),
        S('«id» = Template("<p>{{ «key» }}</p>").render(«key»=«v»)', imports=("from jinja2 import Template",)),
        S('«id» = ast.literal_eval(«v»)'),
        S('«id» = Environment().from_string("<p>{{ «key» }}</p>").render(«key»=«v»)', imports=("from jinja2 import Environment",)),
        S('«id» = importlib.import_module("«word».plugins")'),
        S('«id» = compile("«word» = «num»", "<string>", "exec")'),
        S('«id» = importlib.import_module({"«word»": "json", "«word2»": "csv"}.get(«v», "json"))', held=True),
    ], weight=0.8),
    spec("CWE-95", [
        V('«id» = ⟦eval(«v»)⟧'),
        V('«id» = ⟦eval("«word»_" + «v» + "()")⟧'),
        V('«id» = ⟦eval(«v», {"__builtins__": {}})⟧'),
        V('«id» = ⟦eval(\n    «v»,\n    {"«key»": «num»},\n)⟧', held=True),
        S('«id» = ast.literal_eval(«v»)'),
        S('«id» = json.loads(«v»)'),
        S('«id» = float(«v»)'),
        S('«id» = eval("«num» * «num2»")'),
        S('«id» = {"«word»": len, "«word2»": sum}[«v»]', held=True),
    ], [San('if not re.fullmatch(r"[0-9+\\-*/(). ]{1,40}", «in»):\n    «bail»', guard=True)], weight=1.0),
    spec("CWE-502", [
        V('«id» = ⟦pickle.loads(base64.b64decode(«v»))⟧'),
        V('«id» = ⟦yaml.load(«v», Loader=yaml.Loader)⟧'),
        V('«id» = ⟦yaml.load(«v»)⟧'),
        V('«id» = ⟦yaml.unsafe_load(«v»)⟧'),
        V('«id» = ⟦pickle.loads(«v».encode("latin-1"))⟧'),
        V('with open(«v», "rb") as «id2»:\n    «id» = ⟦pickle.load(«id2»)⟧'),
        V('«id» = ⟦yaml.load(«v», Loader=yaml.FullLoader)⟧'),
        V('«id» = ⟦dill.loads(base64.b64decode(«v»))⟧'),
        V('«id» = ⟦torch.load(«v», weights_only=False)⟧'),
        V('«id» = ⟦joblib.load(«v»)⟧'),
        V('«id» = ⟦pickle.Unpickler(io.BytesIO(base64.b64decode(«v»))).load()⟧'),
        V('«id» = ⟦pickle.load(request.files["«key»"])⟧', frameworks=("flask",)),
        V('«id» = ⟦marshal.loads(bytes.fromhex(«v»))⟧', held=True),
        V('«id» = ⟦jsonpickle.decode(«v»)⟧', held=True),
        S('«id» = yaml.safe_load(«v»)'),
        S('«id» = yaml.load(«v», Loader=yaml.SafeLoader)'),
        S('«id» = json.loads(«v»)'),
        S('«id» = base64.b64encode(pickle.dumps(«v»)).decode()'),
        S('«id» = torch.load(«v», weights_only=True)'),
        S('with open(«v», "rb") as «id2»:\n    «id» = json.load(«id2»)'),
        S('«id» = yaml.load(«v», Loader=yaml.CSafeLoader)'),
        S('«id» = safetensors.torch.load_file(«v»)', imports=("import safetensors.torch",)),
        S('«id» = json.loads(base64.b64decode(«v»))', held=True),
    ], weight=1.3),
    spec("CWE-798", [
        V('⟦«SEC» = "«secret»"⟧', kind="module"),
        V('«id» = psycopg2.connect(\n    host="«host»",\n    user="«word»",\n    ⟦password="«pw»"⟧,\n)', kind="plain"),
        V('«id» = requests.get(\n    "«url»",\n    ⟦headers={"Authorization": "Bearer «secret»"}⟧,\n    timeout=«num»,\n)', kind="plain"),
        V('⟦app.config["SECRET_KEY"] = "«secret»"⟧', kind="module", frameworks=("flask",)),
        V('⟦SECRET_KEY = "django-insecure-«secret»"⟧', kind="module", frameworks=("django",)),
        V('«id» = boto3.client(\n    "s3",\n    aws_access_key_id="AKIA«num»«word»",\n    ⟦aws_secret_access_key="«secret»"⟧,\n)',
          kind="plain"),
        V('if ⟦«v» == "«pw»"⟧:\n    «id» = True', kind="plain"),
        V('⟦«sec» = "«pw»"⟧\n«id» = smtplib.SMTP("«host»", 587)\n«id».login("«email»", «sec»)', kind="plain", held=True),
        S('«SEC» = os.environ["«SEC»"]', kind="module"),
        S('«id» = psycopg2.connect(\n    host="«host»",\n    user="«word»",\n    password=os.environ.get("«SEC»"),\n)',
          kind="plain"),
        S('«sec» = getpass.getpass("«msg»: ")', kind="plain"),
        S('«SEC» = None  # injected at deploy time', kind="module"),
        S('app.config["SECRET_KEY"] = os.environ["«SEC»"]', kind="module", frameworks=("flask",)),
        S('«CONST» = "«word»"', kind="module"),
        S('«id» = requests.get(\n    "«url»",\n    headers={"Authorization": f"Bearer {os.environ[\'«SEC»\']}"},\n    timeout=«num»,\n)',
          kind="plain"),
        S('if hmac.compare_digest(«v», os.environ["«SEC»"]):\n    «id» = True', kind="plain"),
        S('«sec» = keyring.get_password("«word»", "«word2»")', kind="plain", held=True),
    ], weight=1.3),
    spec("CWE-327", [
        V('«id» = os.urandom(16)\n«id2» = ⟦AES.new(«id», AES.MODE_ECB)⟧\n«id3» = «id2».encrypt(pad(«v».encode(), 16))',
          kind="plain", imports=("from Crypto.Cipher import AES", "from Crypto.Util.Padding import pad")),
        V('«id2» = ⟦DES.new(«KEY», DES.MODE_CBC, «id»)⟧', kind="plain", imports=("from Crypto.Cipher import DES",)),
        V('«id» = ⟦Cipher(algorithms.TripleDES(«KEY»), modes.ECB())⟧.encryptor()', kind="plain",
          imports=("from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes",)),
        V('«id» = ⟦ARC4.new(«KEY»)⟧.encrypt(«v».encode())', kind="plain", imports=("from Crypto.Cipher import ARC4",)),
        V('«id» = ⟦Blowfish.new(«KEY», Blowfish.MODE_ECB)⟧', kind="plain", held=True,
          imports=("from Crypto.Cipher import Blowfish",)),
        S('«id» = AES.new(«KEY», AES.MODE_GCM)\n«id2», «id3» = «id».encrypt_and_digest(«v».encode())', kind="plain",
          imports=("from Crypto.Cipher import AES",)),
        S('«id» = Fernet(«KEY»).encrypt(«v».encode())', kind="plain", imports=("from cryptography.fernet import Fernet",)),
        S('«id» = os.urandom(12)\n«id2» = AESGCM(«KEY»).encrypt(«id», «v».encode(), None)', kind="plain",
          imports=("from cryptography.hazmat.primitives.ciphers.aead import AESGCM",)),
        S('«id» = ChaCha20Poly1305(«KEY»).encrypt(os.urandom(12), «v».encode(), None)', kind="plain", held=True,
          imports=("from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305",)),
    ], weight=1.0),
    spec("CWE-328", [
        V('«id» = ⟦hashlib.md5(«v».encode()).hexdigest()⟧', kind="plain"),
        V('«id» = ⟦hashlib.sha1(«v».encode("utf-8")).hexdigest()⟧', kind="plain"),
        V('«id» = ⟦hashlib.new("md5", «v».encode())⟧.hexdigest()', kind="plain"),
        V('«id» = ⟦md5(«salt» + «v».encode())⟧.hexdigest()', kind="plain", imports=("from hashlib import md5",)),
        V('«sec» = ⟦hashlib.sha1(«v».encode())⟧.hexdigest()\n«db».execute("UPDATE «tbl» SET «col» = ?", («sec»,))',
          kind="plain", held=True),
        S('«id» = hashlib.sha256(«v».encode()).hexdigest()', kind="plain"),
        S('«id» = hashlib.pbkdf2_hmac("sha256", «v».encode(), «salt», 600_000).hex()', kind="plain"),
        S('«id» = bcrypt.hashpw(«v».encode(), bcrypt.gensalt())', kind="plain"),
        S('«id» = hashlib.md5(«v».encode(), usedforsecurity=False).hexdigest()', kind="plain"),
        S('«id» = hashlib.scrypt(«v».encode(), salt=«salt», n=2**14, r=8, p=1).hex()', kind="plain"),
        S('«id» = hashlib.blake2b(«v».encode(), digest_size=32).hexdigest()', kind="plain", held=True),
    ], weight=1.0),
    spec("CWE-338", [
        V('«sec» = ⟦"".join(random.choice(string.ascii_letters + string.digits) for _ in range(«num»))⟧', kind="plain"),
        V('«sec» = ⟦random.randint(100000, 999999)⟧', kind="plain"),
        V('«sec» = "%032x" % ⟦random.getrandbits(128)⟧', kind="plain"),
        V('«sec» = ⟦str(random.random())⟧[2:]', kind="plain"),
        V('«sec» = "%06d" % ⟦random.randrange(1000000)⟧', kind="plain"),
        V('«sec» = ⟦"".join(random.choices(string.ascii_letters, k=«num»))⟧', kind="plain"),
        S('«sec» = secrets.token_bytes(«num»).hex()', kind="plain"),
        V('«sec» = ⟦uuid.uuid1()⟧.hex', kind="plain", held=True),
        S('«sec» = secrets.token_hex(«num»)', kind="plain"),
        S('«sec» = secrets.token_urlsafe()', kind="plain"),
        S('«sec» = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(«num»))', kind="plain"),
        S('«sec» = secrets.randbelow(900000) + 100000', kind="plain"),
        S('random.shuffle(«id»)\n«id2» = «id»[:«num»]', kind="plain"),
        S('«id» = random.choice(["«word»", "«word2»", "«word3»"])', kind="plain"),
        S('«sec» = random.SystemRandom().randint(100000, 999999)', kind="plain", held=True),
    ], weight=1.0),
    spec("CWE-295", [
        V('«id» = ⟦requests.get("«url»", verify=False, timeout=«num»)⟧', kind="plain"),
        V('«id» = ⟦ssl._create_unverified_context()⟧', kind="plain"),
        V('«id» = ssl.create_default_context()\n«id».check_hostname = False\n⟦«id».verify_mode = ssl.CERT_NONE⟧',
          kind="plain"),
        V('«id» = ⟦requests.post(\n    "«url»",\n    json={"«key»": «v»},\n    verify=False,\n)⟧', kind="plain"),
        V('with ⟦httpx.Client(verify=False)⟧ as «id»:\n    «id2» = «id».get("«url»")', kind="plain", held=True),
        S('«id» = requests.get("«url»", timeout=«num»)', kind="plain"),
        S('«id» = ssl.create_default_context()', kind="plain"),
        S('«id» = requests.get("«url»", verify="/etc/ssl/certs/ca-certificates.crt", timeout=«num»)', kind="plain"),
        S('«id» = requests.post(\n    "«url»",\n    json={"«key»": «v»},\n    verify=True,\n)', kind="plain"),
        S('with httpx.Client(verify=True) as «id»:\n    «id2» = «id».get("«url»")', kind="plain", held=True),
    ], weight=0.9),
    spec("CWE-611", [
        V('«id» = ⟦etree.XMLParser(resolve_entities=True, no_network=False)⟧\n«id2» = etree.fromstring(«v».encode(), «id»)'),
        V('«id» = xml.sax.make_parser()\n⟦«id».setFeature(feature_external_ges, True)⟧\n«id».parse(io.StringIO(«v»))',
          imports=("import xml.sax", "from xml.sax.handler import feature_external_ges")),
        V('«id» = ⟦etree.fromstring(«v», etree.XMLParser(load_dtd=True, resolve_entities=True))⟧'),
        V('«id» = ⟦etree.XMLParser(load_dtd=True, no_network=False)⟧\n«id2» = etree.XML(«v», «id»)'),
        V('«id» = etree.XMLParser(resolve_entities=True)\n«id2» = ⟦etree.parse(io.BytesIO(«v».encode()), «id»)⟧'),
        V('«id» = ⟦objectify.fromstring(«v», objectify.makeparser(resolve_entities=True))⟧',
          imports=("from lxml import objectify",)),
        V('«id» = xml.sax.make_parser()\n⟦«id».setFeature(xml.sax.handler.feature_external_pes, True)⟧\n'
          'xml.sax.parseString(«v».encode(), xml.sax.ContentHandler())', imports=("import xml.sax", "import xml.sax.handler")),
        V('«id» = ⟦pulldom.parseString(«v», parser=«fn2»())⟧', held=True, imports=("from xml.dom import pulldom",),
          block='def «fn2»():\n    «id2» = xml.sax.make_parser()\n    «id2».setFeature(xml.sax.handler.feature_external_ges, True)\n    return «id2»'),
        S('«id» = defusedxml.ElementTree.fromstring(«v»)', imports=("import defusedxml.ElementTree",)),
        S('«id» = etree.XMLParser(resolve_entities=False, no_network=True)\n«id2» = etree.fromstring(«v».encode(), «id»)'),
        S('«id» = ET.fromstring(«v»)', imports=("import xml.etree.ElementTree as ET",)),
        S('«id» = etree.XMLParser(resolve_entities=False)\n«id2» = etree.parse(io.BytesIO(«v».encode()), «id»)'),
        S('«id» = defusedxml.minidom.parseString(«v»)', imports=("import defusedxml.minidom",)),
        S('«id» = etree.XMLParser(load_dtd=False, no_network=True)\n«id2» = etree.XML(«v», «id»)'),
        S('«id» = xml.sax.make_parser()\n«id».setFeature(feature_external_ges, False)\n«id».parse(io.StringIO(«v»))',
          imports=("import xml.sax", "from xml.sax.handler import feature_external_ges"), held=True),
    ], weight=0.8),
    spec("CWE-918", [
        V('«id» = ⟦requests.get(«v», timeout=«num»)⟧'),
        V('with ⟦urllib.request.urlopen(«v»)⟧ as «id»:\n    «id2» = «id».read()'),
        V('«id» = ⟦requests.get(f"https://{«v»}/«word»/status")⟧.json()', sanitizable=False),  # «v» is a host
        V('«id» = ⟦httpx.get(«v», follow_redirects=True)⟧'),
        V('«id» = ⟦requests.request("GET", «v», timeout=«num»)⟧'),
        V('«id» = ⟦urllib3.PoolManager().request("GET", «v»)⟧'),
        S('«id» = requests.request("GET", "«url»", params={"«key»": «v»}, timeout=«num»)'),
        V('«id» = ⟦requests.post(\n    «v»,\n    json={"«key»": "«word»"},\n)⟧', held=True),
        S('«id» = requests.get("«url»", params={"«key»": «v»}, timeout=«num»)'),
        S('«id» = requests.get(f"https://«host»/«word»/{quote(«v», safe=\'\')}", timeout=«num»)',
          imports=("from urllib.parse import quote",)),
        S('«id» = {"«word»": "«url»", "«word2»": "«url2»"}.get(«v»)\nif «id» is None:\n    «bail»\n«id2» = requests.get(«id», timeout=«num»)'),
        S('with urllib.request.urlopen("«url»") as «id»:\n    «id2» = «id».read()', held=True),
    ], [San('if urlparse(«in»).hostname not in {"«host»", "«host2»"}:\n    «bail»', guard=True,
            imports=("from urllib.parse import urlparse",))], weight=1.0),
    spec("CWE-601", [
        V('return ⟦redirect(«v»)⟧', frameworks=("flask", "bottle"), terminal=True, imports=("from flask import redirect",)),
        V('return ⟦redirect(«v» or "/")⟧', frameworks=("flask",), terminal=True, imports=("from flask import redirect",)),
        V('return ⟦HttpResponseRedirect(«v»)⟧', frameworks=("django",), terminal=True,
          imports=("from django.http import HttpResponseRedirect",)),
        V('return ⟦redirect(«v»)⟧', frameworks=("django",), terminal=True, imports=("from django.shortcuts import redirect",)),
        V('return ⟦RedirectResponse(«v», status_code=302)⟧', frameworks=("fastapi",), terminal=True,
          imports=("from fastapi.responses import RedirectResponse",)),
        V('return ⟦redirect(«v», code=302)⟧', frameworks=("flask",), terminal=True, imports=("from flask import redirect",)),
        V('«id» = make_response("", 302)\n⟦«id».headers["Location"] = «v»⟧\nreturn «id»', frameworks=("flask",),
          terminal=True, imports=("from flask import make_response",)),
        V('return ⟦Response(status=302, headers={"Location": «v»})⟧', frameworks=("flask",), terminal=True,
          imports=("from flask import Response",)),
        V('return ⟦RedirectResponse(url=«v»)⟧', frameworks=("fastapi",), terminal=True,
          imports=("from fastapi.responses import RedirectResponse",)),
        V('return ⟦HttpResponseRedirect(«v» + "?«key»=1")⟧', frameworks=("django",), terminal=True,
          imports=("from django.http import HttpResponseRedirect",)),
        V('«id» = "https://«host»" + «v» if «v».startswith("/") else «v»\nreturn ⟦redirect(«id»)⟧',
          frameworks=("flask",), terminal=True, imports=("from flask import redirect",), held=True),
        S('return redirect(url_for("«fn2»"))', frameworks=("flask",), terminal=True,
          imports=("from flask import redirect, url_for",)),
        S('return redirect(url_for("«fn2»", «key»=«v»))', frameworks=("flask",), terminal=True,
          imports=("from flask import redirect, url_for",)),
        S('return redirect("/«word»")', frameworks=("flask", "bottle"), terminal=True, imports=("from flask import redirect",)),
        S('if not url_has_allowed_host_and_scheme(«v», allowed_hosts={request.get_host()}):\n    «v» = "/"\n'
          'return HttpResponseRedirect(«v»)', frameworks=("django",), terminal=True,
          imports=("from django.http import HttpResponseRedirect", "from django.utils.http import url_has_allowed_host_and_scheme")),
        S('return RedirectResponse("/«word»", status_code=303)', frameworks=("fastapi",), terminal=True,
          imports=("from fastapi.responses import RedirectResponse",)),
        S('«id» = make_response("", 302)\n«id».headers["Location"] = url_for("«fn2»")\nreturn «id»', frameworks=("flask",),
          terminal=True, imports=("from flask import make_response, url_for",)),
        S('return RedirectResponse(url=f"/«word»/{quote(«v», safe=\'\')}")', frameworks=("fastapi",), terminal=True,
          imports=("from fastapi.responses import RedirectResponse", "from urllib.parse import quote")),
        S('return HttpResponseRedirect(reverse("«fn2»"))', frameworks=("django",), terminal=True,
          imports=("from django.http import HttpResponseRedirect", "from django.urls import reverse")),
        V('⟦self.redirect(«v»)⟧', frameworks=("tornado",), terminal=True),
        S('self.redirect(self.reverse_url("«fn2»"))', frameworks=("tornado",), terminal=True),
        S('self.redirect("/«word»")', frameworks=("tornado",), terminal=True),
        V('raise ⟦web.HTTPFound(«v»)⟧', frameworks=("aiohttp",), terminal=True),
        S('raise web.HTTPFound("/«word»")', frameworks=("aiohttp",), terminal=True),
        V('raise ⟦falcon.HTTPFound(«v»)⟧', frameworks=("falcon",), terminal=True),
        S('raise falcon.HTTPFound("/«word»")', frameworks=("falcon",), terminal=True),
        V('return ⟦{"statusCode": 302, "headers": {"Location": «v»}}⟧', frameworks=("lambda",), terminal=True),
        S('return {"statusCode": 302, "headers": {"Location": "/«word»"}}', frameworks=("lambda",), terminal=True),
        S('return redirect("«route»")', frameworks=("django",), terminal=True,
          imports=("from django.shortcuts import redirect",), held=True),
    ], [San('if not «in».startswith("/") or «in».startswith("//"):\n    «bail»', guard=True),
        San('if urlparse(«in»).netloc not in ("", "«host»"):\n    «bail»', guard=True,
            imports=("from urllib.parse import urlparse",))], weight=1.0),
    spec("CWE-90", [
        V('«id» = ⟦«ldap».search_s("ou=«word»,dc=«word2»,dc=com", ldap.SCOPE_SUBTREE, "(uid=" + «v» + ")")⟧'),
        V('⟦«ldap».search(\n    "dc=«word»,dc=com",\n    f"(&(objectClass=person)(cn={«v»}))",\n)⟧'),
        V('«id» = "(mail=%s)" % «v»\n«id2» = ⟦«ldap».search_s("dc=«word»,dc=org", ldap.SCOPE_SUBTREE, «id»)⟧', held=True),
        S('«id» = «ldap».search_s("ou=«word»,dc=«word2»,dc=com", ldap.SCOPE_SUBTREE, "(uid=" + escape_filter_chars(«v») + ")")',
          imports=("from ldap.filter import escape_filter_chars",)),
        S('«ldap».search(\n    "dc=«word»,dc=com",\n    "(&(objectClass=person)(cn=%s))" % escape_filter_chars(«v»),\n)',
          imports=("from ldap.filter import escape_filter_chars",)),
        S('«id» = «ldap».search_s("ou=«word»,dc=«word2»,dc=com", ldap.SCOPE_SUBTREE, "(objectClass=person)")'),
    ], [San('«out» = escape_filter_chars(«in»)', imports=("from ldap.filter import escape_filter_chars",))], weight=0.6),
    spec("CWE-643", [
        V('«id» = ⟦«tree».xpath("//«word»[@name=\'" + «v» + "\']")⟧'),
        V('«id» = ⟦«tree».xpath(f"//«word»[«key»=\'{«v»}\']/«word2»/text()")⟧'),
        V('«id» = ⟦«tree».find(".//«word»[@«key»=\'" + «v» + "\']")⟧'),
        V('«id» = ⟦etree.XPath(f"//«word»[@«key»=\'{«v»}\']")(«tree»)⟧'),
        S('«id» = «tree».find(".//«word»[@«key»]")'),
        V('«id» = ⟦«tree».getroot().findall(".//«word»[@«key»=\'%s\']" % «v»)⟧', held=True),
        S('«id» = «tree».xpath("//«word»[@name=$name]", name=«v»)'),
        S('«id» = «tree».xpath("//«word»[@«key»]/text()")'),
        S('«id» = [e for e in «tree».iter("«word»") if e.get("«key»") == «v»]', held=True),
    ], [San('if not re.fullmatch(r"[A-Za-z0-9 _-]{1,64}", «in»):\n    «bail»', guard=True)], weight=0.6),
    spec("CWE-117", [
        V('⟦«log».info("«msg»: " + «v»)⟧'),
        V('⟦«log».warning(f"«msg» {«v»}")⟧'),
        V('⟦logging.info("%s «msg»", «v»)⟧'),
        V('⟦«log».error("«msg» for %s" % «v»)⟧', held=True),
        S('«log».info("«msg»: %r", «v»)'),
        S('«log».info("«msg»: %s", «v».replace("\\r", "").replace("\\n", ""))'),
        S('«log».warning("«msg» (%d bytes)", len(«v»))'),
        S('«log».info("«msg»")', held=True),
    ], [San('«out» = «in».replace("\\r", "\\\\r").replace("\\n", "\\\\n")'),
        San('«out» = re.sub(r"[\\r\\n]+", " ", «in»)', held=True)], weight=0.6),
    spec("CWE-532", [
        V('«sec» = os.environ.get("«SEC»", "")\n⟦«log».info("connecting with credentials %s", «sec»)⟧', kind="plain"),
        V('⟦«log».debug(f"login {«v»} password={«sec»}")⟧', kind="plain"),
        V('⟦print("«word» token:", «sec»)⟧', kind="plain"),
        V('⟦«log».info("request headers: %s", dict(«id»))⟧', kind="plain", held=True),
        S('«log».info("login attempt for %s", «v»)', kind="plain"),
        S('«log».debug("token=%s", «sec»[:4] + "****")', kind="plain"),
        S('«sec» = os.environ.get("«SEC»", "")\n«log».info("credentials loaded: %s", bool(«sec»))', kind="plain"),
        S('«log».info("«msg» (%d chars)", len(«sec»))', kind="plain", held=True),
    ], weight=0.6),
    spec("CWE-312", [
        V('with open("«dir»/«file»", "a") as «id»:\n    ⟦«id».write(f"{«v»}:{«sec»}\\n")⟧', kind="plain"),
        V('⟦«db».execute("INSERT INTO «tbl» («col», password) VALUES (?, ?)", («v», «sec»))⟧', kind="plain"),
        V('⟦json.dump({"«key»": «v», "password": «sec»}, «id»)⟧', kind="plain", held=True),
        S('«id» = bcrypt.hashpw(«sec».encode(), bcrypt.gensalt())\n«db».execute("INSERT INTO «tbl» («col», password) VALUES (?, ?)", («v», «id»))',
          kind="plain"),
        S('with open("«dir»/«file»", "a") as «id»:\n    «id».write(f"{«v»}\\n")', kind="plain"),
        S('json.dump({"«key»": «v»}, «id»)', kind="plain", held=True),
    ], weight=0.5),
    spec("CWE-377", [
        V('«id» = ⟦tempfile.mktemp()⟧\nwith open(«id», "w") as «id2»:\n    «id2».write(«v»)', kind="plain"),
        V('«id» = ⟦tempfile.mktemp(suffix=".«ext»")⟧', kind="plain"),
        V('with ⟦open("/tmp/«file»", "w")⟧ as «id»:\n    «id».write(«v»)', kind="plain"),
        V('«id» = ⟦f"/tmp/«word»-{os.getpid()}.«ext»"⟧\nwith open(«id», "wb") as «id2»:\n    «id2».write(«v».encode())',
          kind="plain", held=True),
        S('«id», «id2» = tempfile.mkstemp()\nwith os.fdopen(«id», "w") as «id3»:\n    «id3».write(«v»)', kind="plain"),
        S('with tempfile.NamedTemporaryFile("w", suffix=".«ext»", delete=False) as «id»:\n    «id».write(«v»)', kind="plain"),
        S('with tempfile.TemporaryDirectory() as «id»:\n    «id2» = os.path.join(«id», "«file»")', kind="plain"),
        S('with tempfile.SpooledTemporaryFile() as «id»:\n    «id».write(«v».encode())', kind="plain", held=True),
    ], weight=0.6),
    spec("CWE-1333", [
        V('«id» = ⟦re.compile(«v»)⟧\n«id2» = [x for x in «id3» if «id».search(x)]'),
        V('«id» = ⟦re.search(«v», «id2»)⟧'),
        V('«id» = ⟦re.match(r"^(\\w+\\s?)*$", «v»)⟧', sanitizable=False),
        V('«id» = ⟦re.fullmatch(r"^([a-zA-Z0-9]+)*@«word»\\.com$", «v»)⟧', sanitizable=False, held=True),
        S('«id» = re.compile(re.escape(«v»))'),
        S('«id» = re.match(r"^\\w+$", «v»)'),
        S('«id» = re.fullmatch(r"[a-z0-9._-]{1,64}@«word»\\.com", «v»)'),
        S('«id» = «v» in «id2»', held=True),
    ], [San('«out» = re.escape(«in»)')], weight=0.6),
    spec("CWE-209", [
        V('try:\n    «id» = json.loads(«v»)\nexcept Exception:\n    return ⟦traceback.format_exc()⟧, 500',
          frameworks=("flask",), terminal=True),
        V('try:\n    «id» = int(«v»)\nexcept ValueError as «id2»:\n    return ⟦jsonify(error=str(«id2»), trace=traceback.format_exc())⟧, 500',
          frameworks=("flask",), terminal=True),
        V('try:\n    «id» = json.loads(«v»)\nexcept Exception as «id2»:\n    return ⟦JsonResponse({"error": repr(«id2»), "stack": traceback.format_exc()}, status=500)⟧',
          frameworks=("django",), terminal=True),
        V('try:\n    «id» = float(«v»)\nexcept Exception as «id2»:\n    ⟦raise HTTPException(status_code=500, detail=traceback.format_exc())⟧',
          frameworks=("fastapi",), held=True),
        S('try:\n    «id» = json.loads(«v»)\nexcept Exception:\n    «log».exception("«msg»")\n    return jsonify(error="internal error"), 500',
          frameworks=("flask",)),
        S('try:\n    «id» = int(«v»)\nexcept ValueError:\n    return jsonify(error="«msg»"), 400', frameworks=("flask",)),
        S('try:\n    «id» = json.loads(«v»)\nexcept Exception:\n    «log».exception("«msg»")\n    return JsonResponse({"error": "internal error"}, status=500)',
          frameworks=("django",)),
        S('try:\n    «id» = float(«v»)\nexcept ValueError:\n    raise HTTPException(status_code=400, detail="«msg»")',
          frameworks=("fastapi",), held=True),
    ], weight=0.6),
    spec("CWE-614", [
        V('«id» = make_response(jsonify(status="ok"))\n⟦«id».set_cookie("«key»", «v»)⟧\nreturn «id»',
          kind="plain", frameworks=("flask",), terminal=True, imports=("from flask import make_response",)),
        V('«id» = make_response("«msg»")\n⟦«id».set_cookie("session_id", «v», httponly=True)⟧\nreturn «id»',
          kind="plain", frameworks=("flask",), terminal=True, imports=("from flask import make_response",)),
        V('«id» = JsonResponse({"status": "ok"})\n⟦«id».set_cookie("«key»", «v», secure=False)⟧\nreturn «id»',
          kind="plain", frameworks=("django",), terminal=True),
        V('«id» = JSONResponse({"status": "ok"})\n⟦«id».set_cookie(key="«key»", value=«v»)⟧\nreturn «id»',
          kind="plain", frameworks=("fastapi",), terminal=True, imports=("from fastapi.responses import JSONResponse",), held=True),
        S('«id» = make_response(jsonify(status="ok"))\n«id».set_cookie("«key»", «v», secure=True, httponly=True, samesite="Lax")\nreturn «id»',
          kind="plain", frameworks=("flask",), terminal=True, imports=("from flask import make_response",)),
        S('«id» = JsonResponse({"status": "ok"})\n«id».set_cookie("«key»", «v», secure=True, httponly=True)\nreturn «id»',
          kind="plain", frameworks=("django",), terminal=True),
        S('«id» = JSONResponse({"status": "ok"})\n«id».set_cookie(key="«key»", value=«v», secure=True, httponly=True)\nreturn «id»',
          kind="plain", frameworks=("fastapi",), terminal=True, imports=("from fastapi.responses import JSONResponse",), held=True),
    ], weight=0.6),
    spec("CWE-352", [
        V('⟦@csrf_exempt⟧\ndef «fn»(request):\n    if request.method == "POST":\n        «id» = request.POST.get("«key»", "")\n'
          '        «Cls».objects.filter(pk=request.user.pk).update(«col»=«id»)\n    return JsonResponse({"status": "ok"})',
          kind="module", frameworks=("django",), imports=("from django.views.decorators.csrf import csrf_exempt",)),
        V('⟦app.config["WTF_CSRF_ENABLED"] = False⟧', kind="module", frameworks=("flask",)),
        S('@require_POST\ndef «fn»(request):\n    «id» = request.POST.get("«key»", "")\n'
          '    «Cls».objects.filter(pk=request.user.pk).update(«col»=«id»)\n    return JsonResponse({"status": "ok"})',
          kind="module", frameworks=("django",), imports=("from django.views.decorators.http import require_POST",)),
        S('app.config["WTF_CSRF_ENABLED"] = True', kind="module", frameworks=("flask",)),
        S('csrf = CSRFProtect(app)', kind="module", frameworks=("flask",), imports=("from flask_wtf.csrf import CSRFProtect",)),
    ], weight=0.4),
    spec("CWE-434", [
        V('«id» = request.files["«key»"]\n⟦«id».save(os.path.join(«BASE», «id».filename))⟧', kind="plain", frameworks=("flask",)),
        V('«id» = request.files.get("«key»")\nif «id»:\n    ⟦«id».save(«BASE» + "/" + «id».filename)⟧', kind="plain",
          frameworks=("flask",)),
        V('«id» = request.FILES["«key»"]\nwith ⟦open(os.path.join(«BASE», «id».name), "wb")⟧ as «id2»:\n    for «id3» in «id».chunks():\n        «id2».write(«id3»)',
          kind="plain", frameworks=("django",), held=True),
        S('«id» = request.files["«key»"]\n«id2» = secure_filename(«id».filename)\n'
          'if not «id2».lower().endswith((".png", ".jpg", ".pdf")):\n    «bail»\n«id».save(os.path.join(«BASE», «id2»))',
          kind="plain", frameworks=("flask",), imports=("from werkzeug.utils import secure_filename",)),
        S('«id» = request.files["«key»"]\n«id».save(os.path.join(«BASE», f"{uuid.uuid4().hex}.bin"))', kind="plain",
          frameworks=("flask",)),
        S('«id» = request.FILES["«key»"]\nif «id».content_type not in ("image/png", "image/jpeg"):\n    «bail»\n'
          'default_storage.save(f"«word»/{uuid.uuid4().hex}.png", «id»)', kind="plain", frameworks=("django",), held=True,
          imports=("from django.core.files.storage import default_storage",)),
    ], weight=0.5),
    spec("CWE-943", [
        V('«id» = ⟦«mongo».«tbl».find({"$where": "this.«key» == \'" + «v» + "\'"})⟧'),
        V('«id» = ⟦«mongo».«tbl».find_one(json.loads(«v»))⟧'),
        V('«id» = ⟦«mongo».«tbl».find({"«key»": {"$regex": «v»}})⟧', held=True),
        S('«id» = «mongo».«tbl».find_one({"«key»": «v»})'),
        S('«id» = «mongo».«tbl».find({"«key»": str(«v»)}).limit(«num»)'),
        S('«id» = «mongo».«tbl».find({"«key»": {"$regex": re.escape(«v»)}})', held=True),
    ], weight=0.5),
    spec("CWE-732", [
        V('⟦os.chmod(«v», 0o777)⟧', kind="plain"),
        V('⟦os.chmod("«dir»/«file»", 0o666)⟧', kind="plain"),
        V('⟦os.chmod(«id», stat.S_IRWXU | stat.S_IRWXG | stat.S_IRWXO)⟧', kind="plain"),
        V('⟦os.makedirs("«dir»/«word»", mode=0o777, exist_ok=True)⟧', kind="plain"),
        V('⟦os.umask(0)⟧\nwith open("«dir»/«file»", "w") as «id»:\n    «id».write(«v»)', kind="plain"),
        V('⟦Path("«dir»/«file»").chmod(0o777)⟧', kind="plain", held=True),
        S('os.chmod(«v», 0o600)', kind="plain"),
        S('os.chmod("«dir»/«file»", 0o644)', kind="plain"),
        S('os.chmod(«id», stat.S_IRUSR | stat.S_IWUSR)', kind="plain"),
        S('os.makedirs("«dir»/«word»", mode=0o700, exist_ok=True)', kind="plain"),
        S('os.umask(0o077)\nwith open("«dir»/«file»", "w") as «id»:\n    «id».write(«v»)', kind="plain"),
        S('Path("«dir»/«file»").chmod(0o600)', kind="plain", held=True),
    ], weight=0.6),
    spec("CWE-326", [
        V('«id» = ⟦rsa.generate_private_key(public_exponent=65537, key_size=1024)⟧', kind="plain",
          imports=("from cryptography.hazmat.primitives.asymmetric import rsa",)),
        V('«id» = ⟦RSA.generate(1024)⟧', kind="plain", imports=("from Crypto.PublicKey import RSA",)),
        V('«id» = ⟦dsa.generate_private_key(key_size=1024)⟧', kind="plain",
          imports=("from cryptography.hazmat.primitives.asymmetric import dsa",)),
        V('«id» = ⟦RSA.generate(bits=512)⟧', kind="plain", held=True, imports=("from Crypto.PublicKey import RSA",)),
        S('«id» = rsa.generate_private_key(public_exponent=65537, key_size=3072)', kind="plain",
          imports=("from cryptography.hazmat.primitives.asymmetric import rsa",)),
        S('«id» = RSA.generate(4096)', kind="plain", imports=("from Crypto.PublicKey import RSA",)),
        S('«id» = ec.generate_private_key(ec.SECP256R1())', kind="plain",
          imports=("from cryptography.hazmat.primitives.asymmetric import ec",)),
        S('«id» = Ed25519PrivateKey.generate()', kind="plain", held=True,
          imports=("from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey",)),
    ], weight=0.5),
    spec("CWE-319", [
        V('«id» = ⟦ftplib.FTP("«host»")⟧\n«id».login("«word»", «sec»)', kind="plain"),
        V('«id» = ⟦telnetlib.Telnet("«host»", 23)⟧\n«id».write(«sec».encode() + b"\\n")', kind="plain"),
        V('«id» = ⟦requests.post("http://«host»/login", data={"user": «v», "password": «sec»})⟧', kind="plain"),
        V('«id» = ⟦smtplib.SMTP("«host»", 25)⟧\n«id».login("«email»", «sec»)', kind="plain"),
        V('«id» = ⟦urllib.request.urlopen("http://«host»/«word»?token=" + «sec»)⟧', kind="plain", held=True),
        S('«id» = ftplib.FTP_TLS("«host»")\n«id».login("«word»", «sec»)\n«id».prot_p()', kind="plain"),
        S('«id» = requests.post("https://«host»/login", data={"user": «v», "password": «sec»}, timeout=«num»)', kind="plain"),
        S('«id» = smtplib.SMTP("«host»", 587)\n«id».starttls()\n«id».login("«email»", «sec»)', kind="plain"),
        S('«id» = requests.get("http://«host»/«word»/health", timeout=«num»)', kind="plain"),
        S('«id» = smtplib.SMTP_SSL("«host»", 465)\n«id».login("«email»", «sec»)', kind="plain", held=True),
    ], weight=0.5),
    spec("CWE-489", [
        V('if __name__ == "__main__":\n    ⟦app.run(host="0.0.0.0", port=«port», debug=True)⟧', kind="module",
          frameworks=("flask",)),
        V('⟦app.debug = True⟧', kind="module", frameworks=("flask",)),
        V('⟦DEBUG = True⟧\nALLOWED_HOSTS = ["*"]', kind="module", frameworks=("django",)),
        V('⟦app.config["DEBUG"] = True⟧', kind="module", frameworks=("flask",), held=True),
        S('if __name__ == "__main__":\n    app.run(host="127.0.0.1", port=«port», debug=False)', kind="module",
          frameworks=("flask",)),
        S('app.debug = os.environ.get("FLASK_DEBUG") == "1"', kind="module", frameworks=("flask",)),
        S('DEBUG = os.environ.get("DJANGO_DEBUG", "") == "1"\nALLOWED_HOSTS = ["«host»"]', kind="module",
          frameworks=("django",)),
        S('app.config["DEBUG"] = False', kind="module", frameworks=("flask",), held=True),
    ], weight=1.0),
]

# ---------------------------------------------------------------------------------------------
# ordinary code
# ---------------------------------------------------------------------------------------------
MODULE_FILLERS = fillers(L, "module", [
    ('@dataclass\nclass «Cls»:\n    «id»: str\n    «id2»: int = 0\n    «id3»: list[str] = field(default_factory=list)\n\n'
     '    def «fn»(self) -> int:\n        return self.«id2» + len(self.«id3»)',
     {"imports": ("from dataclasses import dataclass, field",)}),
    'def «fn»(«id»):\n    """«doc»"""\n    «id2» = 0\n    for «id3» in «id»:\n        «id2» += «id3».get("«key»", 0)\n    return «id2»',
    '«CONST» = {\n    "«key»": «num»,\n    "«key2»": «num2»,\n    "«key3»": "«word»",\n}',
    'def «fn»(«id», attempts=«num»):\n    for «id2» in range(attempts):\n        try:\n            return «id»()\n'
    '        except OSError as exc:\n            «log».warning("«msg» (attempt %d): %s", «id2» + 1, exc)\n'
    '            time.sleep(0.5 * («id2» + 1))\n    raise RuntimeError("«msg2»")',
    'class «Cls»:\n    """«doc»"""\n\n    def __init__(self, «id»):\n        self.«id» = «id»\n        self._«id2» = {}\n\n'
    '    def «fn»(self, «id3»):\n        if «id3» in self._«id2»:\n            return self._«id2»[«id3»]\n'
    '        «id4» = «id3».strip().lower()\n        self._«id2»[«id3»] = «id4»\n        return «id4»\n\n'
    '    def __len__(self):\n        return len(self._«id2»)',
    'def «fn»():\n    with open("«dir»/«word».json", encoding="utf-8") as «id»:\n        return json.load(«id»)',
    'def «fn»(«id», size=«num»):\n    «id2» = []\n    for «id3» in «id»:\n        «id2».append(«id3»)\n'
    '        if len(«id2») >= size:\n            yield «id2»\n            «id2» = []\n    if «id2»:\n        yield «id2»',
    'def «fn»(«id»: float, «id2»: str = "«word»") -> str:\n    return f"{«id2»}: {«id»:.2f}"',
    ('class «Cls»(Enum):\n    «CONST» = "«word»"\n    «CONST2» = "«word2»"\n    «CONST3» = "«word3»"',
     {"imports": ("from enum import Enum",)}),
    'def «fn»(«id»):\n    if not isinstance(«id», dict):\n        raise TypeError("«msg»")\n'
    '    «id2» = [k for k in ("«key»", "«key2»") if k not in «id»]\n    if «id2»:\n'
    '        raise ValueError("missing: " + ", ".join(«id2»))\n    return True',
    ('def «fn»(«id»=None):\n    «id» = «id» or datetime.now(timezone.utc)\n    return «id».strftime("%Y-%m-%d")',
     {"imports": ("from datetime import datetime, timezone",)}),
    ('def «fn»(«id»):\n    «id2» = defaultdict(list)\n    for «id3» in «id»:\n        «id2»[«id3»["«key»"]].append(«id3»)\n'
     '    return dict(«id2»)', {"imports": ("from collections import defaultdict",)}),
    ('@contextmanager\ndef «fn»(«id»="«word»"):\n    «id2» = time.perf_counter()\n    try:\n        yield\n    finally:\n'
     '        «log».info("%s took %.3fs", «id», time.perf_counter() - «id2»)',
     {"imports": ("from contextlib import contextmanager",)}),
    ('class «Cls»(NamedTuple):\n    «id»: str\n    «id2»: float\n\n    @property\n    def «fn»(self) -> str:\n'
     '        return f"{self.«id»}={self.«id2»}"', {"imports": ("from typing import NamedTuple",), "held": True}),
    ('def «fn»(«id», «id2»=«num»):\n    """«doc»\n\n    Returns a page of at most «id2» items.\n    """\n'
     '    «id3» = max(int(«id».get("page", 1)), 1)\n    return slice((«id3» - 1) * «id2», «id3» * «id2»)', {"held": True}),
    ('«CONST» = «num»\n«CONST2» = "«word»"\n«CONST3» = («CONST» * 2, «CONST» * 4)', {"held": True}),
    'def «fn»(«id»):\n    return sorted(«id», key=lambda «id2»: («id2».get("«key»", 0), «id2».get("«key2»", "")))',
    'def «fn»(«id»: dict) -> dict:\n    return {k: v for k, v in «id».items() if v is not None and not k.startswith("_")}',
    ('@functools.lru_cache(maxsize=«num»)\ndef «fn»(«id»: str) -> str:\n    return «id».strip().casefold()',
     {"imports": ("import functools",)}),
    'class «Cls»(Exception):\n    """«doc»"""',
    ('def «fn»(«id»: Iterable[str]) -> list[str]:\n    seen = set()\n    out = []\n    for item in «id»:\n'
     '        if item not in seen:\n            seen.add(item)\n            out.append(item)\n    return out',
     {"imports": ("from collections.abc import Iterable",)}),
    ('class «Cls»:\n    def __init__(self, «id»: float = 0.0):\n        self._«id» = «id»\n\n    @property\n    def «id»(self) -> float:\n'
     '        return self._«id»\n\n    @«id».setter\n    def «id»(self, value: float) -> None:\n        if value < 0:\n'
     '            raise ValueError("«msg»")\n        self._«id» = value', {"held": True}),
])

STMT_FILLERS = fillers(L, "stmt", [
    '«log».debug("«msg»")', '«log».info("«msg»")', '«id» = time.monotonic()', '«id» = {"«key»": «num», "«key2»": "«word»"}',
    '# «doc»', '«id» = []', '«id» = «num» * «num2»', ('# TODO: «msg»', {"held": True}),
    ('«id» = datetime.now(timezone.utc).isoformat()', {"imports": ("from datetime import datetime, timezone",), "held": True}),
])


class PythonKit(Kit):
    name = L
    ext = ".py"
    style = NameStyle(var="snake", func="snake")
    indents = (("    ", 0.88), ("  ", 0.12))
    quote_restyle = True
    hash_comments = True
    frameworks = (FLASK, DJANGO, FASTAPI, LIBRARY, TORNADO, AIOHTTP, FALCON, LAMBDA, BOTTLE)
    specs = tuple(SPECS)
    fillers = MODULE_FILLERS + STMT_FILLERS
    # harmless rewrites only: a prefix, a truncation or a space rewrite could defuse the payload
    transforms = ('«out» = «in».strip()', '«out» = «in».lower()', '«out» = f"{«in»}".strip()', '«out» = str(«in»)',
                  '«out» = «in» or "«word»"', '«out» = «in».rstrip("/")')
    neutral_uses = ('if len(«var») > «num»:\n    «bail»', '«log».debug("«msg» (%d chars)", len(«var»))',
                    'if not «var»:\n    «bail»')
    helper_bail = 'raise ValueError("«msg»")'
    file_slots: ClassVar[dict[str, tuple[str, ...]]] = {
        "db": ("conn", "db", "connection", "cnx"), "cur": ("cur", "cursor"), "log": ("logger", "log", "LOGGER"),
        "BASE": ("BASE_DIR", "UPLOAD_DIR", "DATA_ROOT", "STORAGE_PATH", "MEDIA_ROOT"),
        "ldap": ("ldap_conn", "directory", "ld"), "tree": ("tree", "doc", "xml_doc"),
        "mongo": ("mongo", "mdb", "store"), "KEY": ("KEY", "SECRET_KEY_BYTES", "CIPHER_KEY"),
        "salt": ("SALT", "salt", "PEPPER"), "port": ("5000", "8000", "8080"), "async_kw": ("", "", "async "),
        "django_deco": ("", "", "@require_GET\n", "@login_required\n"),
    }
    slot_decls: ClassVar[dict[str, str]] = {
        "log": "«log» = logging.getLogger(__name__)",
        "BASE": '«BASE» = "«dir»"',
        "db": '«db» = sqlite3.connect("«word».db")',
        "ldap": '«ldap» = ldap.initialize("ldap://«host»")',
        "tree": '«tree» = etree.parse("«dir»/«word».xml")',
        "mongo": '«mongo» = MongoClient("mongodb://«host»:27017")["«word»"]',
        "KEY": '«KEY» = os.environ["«CONST»"].encode()[:16]',
        "salt": '«salt» = os.urandom(16)',
    }
    auto_imports = (*((f"{m}.", f"import {m}") for m in (
        "os", "sys", "re", "json", "logging", "subprocess", "hashlib", "hmac", "pickle", "sqlite3", "shlex", "html",
        "secrets", "random", "tempfile", "time", "yaml", "requests", "base64", "ssl", "shutil", "tarfile", "ast",
        "marshal", "jsonpickle", "traceback", "uuid", "string", "getpass", "psycopg2", "boto3", "smtplib", "httpx",
        "ldap", "io", "importlib", "argparse", "functools", "bcrypt", "keyring", "bleach", "urllib.request", "defusedxml.ElementTree",
        "dill", "joblib", "torch", "jinja2", "stat", "ftplib", "telnetlib", "uvicorn", "codecs", "urllib3",
    )),
        ("Path(", "from pathlib import Path"), ("etree.", "from lxml import etree"),
        ("MongoClient(", "from pymongo import MongoClient"), ("@require_GET", "from django.views.decorators.http import require_GET"),
        ("@login_required", "from django.contrib.auth.decorators import login_required"),
        ("path(", "from django.urls import path"),
    )

    def assign(self, var: str, expr: str) -> str:
        return f"{var} = {expr}"

    def order_params(self, params: list[str]) -> list[str]:
        return sorted(params, key=lambda p: "=" in p)  # Python wants defaulted parameters last

    def call(self, fn: str, args: list[str], bag: Bag) -> str:
        if bag.namer.rng.random() < 0.4:
            return f"«tmp» = {fn}({', '.join(args)})"
        return f"{fn}({', '.join(args)})"

    def helper(self, fn: str, params: list[str], body: str, bag: Bag) -> str:
        rng = bag.namer.rng
        doc = '    """«doc»"""\n' if rng.random() < 0.35 else ""
        sig = ", ".join(f"{p}: str" if rng.random() < 0.3 else p for p in params)
        return fill(f"def {fn}({sig}):\n{doc}    «body»", bag.child(body=body))

    def path(self, rng: random.Random, namer, framework: Framework, bag: Bag) -> str:
        stem = namer.func() if rng.random() < 0.5 else namer.var()
        folder = {"flask": "app/routes", "django": "app/views", "fastapi": "api/endpoints", "bottle": "web",
                  "tornado": "handlers", "aiohttp": "service", "falcon": "resources", "lambda": "functions",
                  "library": rng.choice(("lib", "src/core", "tools", "scripts"))}.get(framework.name, "src")
        if framework.name == "django" and rng.random() < 0.5:
            return f"{namer.word()}/views.py"
        return f"{folder}/{stem}.py"

    def render(self, parts: FileParts, framework: Framework, bag: Bag, rng: random.Random) -> str:
        body = join_blocks(parts.blocks, 1 if rng.random() < 0.2 else 2)
        footer = ""
        if framework.footer and (framework.route_line or rng.random() < 0.6):
            lines = [fill(framework.route_line, bag.child(fn=fn, route=route, route_rel=route.lstrip("/")))
                     for fn, route, _ in parts.handlers] if framework.route_line else []
            footer = fill(framework.footer, bag.child(routes="\n".join(lines)))
        decls = "\n".join(parts.decls)
        self.resolve_imports(parts, "\n".join((decls, body, footer)))
        plain = [i for i in parts.imports if i.startswith("import ")]
        froms = [i for i in parts.imports if i.startswith("from ")]
        if rng.random() < 0.8:
            plain.sort()
            froms.sort()
        head = []
        if rng.random() < 0.05:
            head.append("#!/usr/bin/env python3")
        if rng.random() < 0.5:
            head.append(fill('"""«doc»"""', bag.child()))
        if rng.random() < 0.15:
            head.append("from __future__ import annotations\n")
        imports = "\n".join(plain + froms)
        sections = ["\n".join(head), imports, decls, body, footer]
        return "\n\n\n".join(s for s in sections if s.strip()) + "\n"


KIT = PythonKit()
