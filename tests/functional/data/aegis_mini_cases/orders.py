import sqlite3

from flask import Flask, request

app = Flask(__name__)


def connect():
    return sqlite3.connect("shop.db")


@app.route("/orders")
def list_orders():
    customer = request.args.get("customer", "")
    db = connect()
    cur = db.cursor()
    cur.execute("SELECT id, total FROM orders WHERE customer = '" + customer + "'")
    rows = cur.fetchall()
    return {"orders": rows}
