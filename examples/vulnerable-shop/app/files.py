"""Invoice downloads."""

import os

from flask import Blueprint, request, send_file

UPLOAD_DIR = "/srv/shop/invoices"
files = Blueprint("files", __name__)


@files.route("/invoice")
def invoice():
    name = request.args.get("name", "")
    path = os.path.join(UPLOAD_DIR, name)
    return send_file(path)


@files.route("/invoice/safe")
def invoice_safe():
    name = os.path.basename(request.args.get("name", ""))
    return send_file(os.path.join(UPLOAD_DIR, name))
