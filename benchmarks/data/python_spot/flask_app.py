import os
import pickle
import subprocess
import hashlib
import yaml
import sqlite3
import requests
import random
import tempfile
from flask import Flask, request

app = Flask(__name__)
DB_PASSWORD = "s3cr3tP4ssw0rd!"


@app.route("/ping")
def ping():
    host = request.args.get("host")
    return subprocess.check_output("ping -c 1 " + host, shell=True)


@app.route("/load", methods=["POST"])
def load():
    data = request.get_data()
    obj = pickle.loads(data)
    return str(obj)


def read_config(path):
    with open(path) as fh:
        return yaml.load(fh, Loader=yaml.Loader)


def hash_password(pw):
    return hashlib.md5(pw.encode()).hexdigest()


@app.route("/user")
def user():
    uid = request.args.get("id")
    conn = sqlite3.connect("app.db")
    cur = conn.cursor()
    cur.execute("SELECT * FROM users WHERE id = '%s'" % uid)
    return str(cur.fetchall())


def fetch(url):
    return requests.get(url, verify=False).text


def token():
    return str(random.randint(0, 10**8))


def scratch():
    name = tempfile.mktemp()
    return open(name, "w")


@app.route("/calc")
def calc():
    expr = request.args.get("e")
    return str(eval(expr))


@app.route("/file")
def file():
    name = request.args.get("name")
    return open(os.path.join("/srv/files", name)).read()


if __name__ == "__main__":
    app.run(debug=True, host="0.0.0.0")
