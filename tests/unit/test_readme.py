"""README and CI must agree: CI runs the README's install and test commands as written."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _blocks_after(heading: str, text: str) -> list[str]:
    section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for block in re.findall(r"```bash\n(.*?)```", section, re.S)
            for line in block.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_ci_runs_the_readme_install_and_test_commands():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    install = _blocks_after("Install", readme)
    test = _blocks_after("Test", readme)
    assert len(install) == 1 and len(test) == 1, "one command each, as the README promises"
    ci_lines = [line.strip() for line in ci.splitlines() if line.strip() and not line.strip().startswith("#")]
    # CI splits the one-line install into its parts (venv, activate, pip) and runs them in order
    parts = [p.strip() for p in install[0].split("&&")]
    assert parts[0].startswith("python3 -m venv")
    for part in parts[1:]:
        assert part in ci_lines, f"CI does not run {part!r}"
    assert test[0] in ci_lines
    assert ci_lines.index(parts[-1]) < ci_lines.index(test[0])
