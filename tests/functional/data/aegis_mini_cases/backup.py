import os

from flask import Flask, request

app = Flask(__name__)


@app.route("/backup", methods=["POST"])
def backup():
    target = request.form["target"]
    os.system("tar czf /tmp/backup.tgz " + target)
    return "ok"
