import json
import subprocess
import sys

from functional.conftest import REPO, SCANNED


def test_aegis_eval_scores_each_model_next_to_its_cost(tmp_path, repo_zip, keyword_models, loud_classifier):
    _, tok = keyword_models
    sink_line = REPO["app/server.py"].splitlines().index("    os.system(cmd)") + 1
    labels = [{"path": p, "vulnerable": p == "app/server.py",
               "findings": [{"cwe": "CWE-78", "line": sink_line, "end_line": sink_line}] if p == "app/server.py" else []}
              for p in SCANNED]
    (tmp_path / "labels.json").write_text(json.dumps(labels))
    r = subprocess.run([sys.executable, "-m", "aegis_cli", "eval", str(repo_zip), "--labels", str(tmp_path / "labels.json"),
                        "--model", str(tok), "--model", str(loud_classifier), "--format", "json"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    rows = {m["model"]: m for m in data["models"]}
    kw = rows["kw-tok"]["score"]
    assert kw["line"] == {"tp": 1, "fp": 0, "fn": 0, "precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert kw["file"]["precision"] == 1.0 and kw["cwe_accuracy"] == 1.0
    loud = rows["loud"]["score"]  # flags every file: file precision = 1 / number of files
    assert loud["file"]["tp"] == 1 and loud["file"]["fp"] == len(SCANNED) - 1
    assert loud["cwe_accuracy"] == 0.0  # it matched the sink but has no CWE
    assert rows["kw-tok"]["cost"]["total_tokens"] > 0 and rows["kw-tok"]["cost"]["device"] == "cpu"
    assert rows["kw-tok"]["cost"]["peak_vram_mb"] is None  # no GPU: N/A, not 0
    assert "merged (union)" in rows
