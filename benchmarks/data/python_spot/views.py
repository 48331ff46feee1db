import json
import os
import subprocess
import xml.etree.ElementTree as ET

from django.db import connection
from django.http import HttpResponse, JsonResponse


def search(request):
    term = request.GET.get("q", "")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, title FROM articles WHERE title LIKE '%{term}%'")
        rows = cursor.fetchall()
    return JsonResponse({"rows": rows})


def greet(request):
    name = request.GET.get("name", "guest")
    return HttpResponse("<h1>Hello " + name + "</h1>")


def archive(request):
    folder = request.POST["folder"]
    out = subprocess.run(f"tar czf /tmp/out.tgz {folder}", shell=True, capture_output=True)
    return HttpResponse(out.stdout)


def download(request):
    filename = request.GET["file"]
    path = "/var/app/reports/" + filename
    with open(path, "rb") as fh:
        return HttpResponse(fh.read(), content_type="application/pdf")


def settings_import(request):
    payload = request.body.decode()
    config = eval(payload)
    return JsonResponse(config)


def parse_feed(request):
    tree = ET.fromstring(request.body)
    return JsonResponse({"items": len(tree)})


def list_items(request):
    page = int(request.GET.get("page", 1))
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM items LIMIT 20 OFFSET %s", [page * 20])
        return JsonResponse({"ids": [r[0] for r in cursor.fetchall()]})
