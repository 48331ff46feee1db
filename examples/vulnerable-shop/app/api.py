"""Order API of the demo shop."""

import sqlite3
import subprocess

import yaml
from flask import Flask, jsonify, request

app = Flask(__name__)
app.config["SECRET_KEY"] = "s3cr3t-shop-key-2024"

DB_PATH = "shop.db"


def get_db():
    conn = sqlite3.connect(DB_PATH)
    conn.row_factory = sqlite3.Row
    return conn


@app.route("/orders")
def list_orders():
    customer = request.args.get("customer", "")
    db = get_db()
    rows = db.execute(f"SELECT id, total FROM orders WHERE customer = '{customer}'").fetchall()
    return jsonify([dict(r) for r in rows])


@app.route("/orders/<int:order_id>")
def get_order(order_id):
    db = get_db()
    row = db.execute("SELECT id, total FROM orders WHERE id = ?", (order_id,)).fetchone()
    return jsonify(dict(row)) if row else ("not found", 404)


@app.route("/export")
def export_orders():
    fmt = request.args.get("format", "csv")
    out = subprocess.run("shop-export --format " + fmt, shell=True, capture_output=True)
    return out.stdout


@app.route("/import", methods=["POST"])
def import_settings():
    settings = yaml.load(request.data, Loader=yaml.Loader)
    return jsonify({"keys": sorted(settings)})
