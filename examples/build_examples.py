"""Build examples/vulnerable-shop.zip and its labels from the vulnerable-shop/ folder.

The labels are computed, not typed: each planted flaw is named here by the file, the
text of its sink and its CWE, and its line is found in the file. Run after editing the
folder: `python examples/build_examples.py`. A test checks the committed zip and labels
are what this script builds.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
APP = HERE / "vulnerable-shop"

# (path, text on the sink line, CWE)
FLAWS = [
    ("app/api.py", 'app.config["SECRET_KEY"] = "s3cr3t-shop-key-2024"', "CWE-798"),
    ("app/api.py", "db.execute(f\"SELECT id, total FROM orders WHERE customer = '{customer}'\")", "CWE-89"),
    ("app/api.py", 'subprocess.run("shop-export --format " + fmt, shell=True', "CWE-78"),
    ("app/api.py", "yaml.load(request.data, Loader=yaml.Loader)", "CWE-502"),
    ("app/files.py", "path = os.path.join(UPLOAD_DIR, name)", "CWE-22"),
    ("web/server.js", "res.send('<h1>Results for ' + q + '</h1>');", "CWE-79"),
    ("web/server.js", "const value = eval(expr);", "CWE-95"),
    ("web/server.js", "res.redirect(req.query.next);", "CWE-601"),
    ("web/preview.ts", "const page = await fetch(url);", "CWE-918"),
    ("php/search.php", "$result = mysqli_query($conn,", "CWE-89"),
    ("php/search.php", "echo \"<p>You searched for \" . $_GET['term']", "CWE-79"),
    ("go/handler.go", 'exec.Command("sh", "-c", "ping -c 1 "+host)', "CWE-78"),
    ("go/handler.go", "md5.Sum([]byte(user))", "CWE-328"),
    ("native/parse.c", "strcpy(buf, name);", "CWE-120"),
    ("native/parse.c", "printf(buf);", "CWE-134"),
    ("java/UserDao.java", "st.executeQuery(\"SELECT * FROM users WHERE email = '\" + email + \"'\")", "CWE-89"),
    ("java/UserDao.java", "return ois.readObject();", "CWE-502"),
]


def files() -> list[Path]:
    return sorted(p for p in APP.rglob("*") if p.is_file())


def labels() -> list[dict]:
    out = []
    for path in files():
        rel = path.relative_to(APP).as_posix()
        lines = path.read_text(encoding="utf-8").splitlines()
        found = []
        for flaw_path, text, cwe in FLAWS:
            if flaw_path != rel:
                continue
            hits = [i + 1 for i, line in enumerate(lines) if text in line]
            if len(hits) != 1:
                raise SystemExit(f"{rel}: sink {text!r} found {len(hits)} times")
            found.append({"cwe": cwe, "line": hits[0], "end_line": hits[0]})
        out.append({"path": rel, "vulnerable": bool(found), "findings": sorted(found, key=lambda f: f["line"])})
    return out


def build_zip(out: Path) -> None:
    # fixed timestamps and order: the same folder always gives the same bytes
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in files():
            info = zipfile.ZipInfo(path.relative_to(APP).as_posix(), date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())


def main() -> None:
    build_zip(HERE / "vulnerable-shop.zip")
    (HERE / "vulnerable-shop.labels.json").write_text(json.dumps(labels(), indent=2) + "\n")
    print(f"{len(files())} files, {len(FLAWS)} labelled flaws")


if __name__ == "__main__":
    main()
