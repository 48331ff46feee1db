"""The per-CWE sink patterns behind ``labels.sink_check``: what they keep and what they drop."""

from __future__ import annotations

import pytest

from aegis_cli.mini.datagen import CWE_CATALOG, generate
from aegis_cli.scan.sinks import SINK_PATTERNS, fits_sink


def test_every_cwe_the_model_can_name_has_a_pattern():
    assert set(CWE_CATALOG) <= set(SINK_PATTERNS)


@pytest.mark.parametrize(("cwe", "line"), [
    ("CWE-89", 'cur.execute("SELECT * FROM users WHERE name = \'" + name + "\'")'),
    ("CWE-78", "os.system('ping -c 1 ' + host)"),
    ("CWE-798", 'DB_PASSWORD = "hunter2"'),
    ("CWE-798", "const apiKey = `sk_live_abc123`;"),
    ("CWE-22", "return send_file(os.path.join(BASE, name))"),
    ("CWE-328", "digest = hashlib.md5(password.encode()).hexdigest()"),
])
def test_real_sinks_fit_their_cwe(cwe, line):
    assert fits_sink(cwe, line)


@pytest.mark.parametrize(("cwe", "line"), [
    # a model misreading a name as a credential: no literal on the line
    ("CWE-798", "function deliverOlive(order) {"),
    ("CWE-798", "const wickerOlive = new Map();"),
    ("CWE-89", "for item in basket:"),
    ("CWE-328", "return len(self.items)"),
])
def test_lines_that_cannot_be_a_sink_of_the_cwe_do_not_fit(cwe, line):
    assert not fits_sink(cwe, line)


def test_unknown_or_missing_cwes_are_never_dropped():
    assert fits_sink(None, "anything")
    assert fits_sink("CWE-99999", "anything")


def test_every_generated_sink_fits_its_pattern():
    """The scan-time check must never drop a sink the generator labels (train and held-out)."""
    checked = 0
    for split in ("train", "heldout"):
        for sample in generate(600, seed=23, split=split):
            for finding, sink in zip(sample.findings, sample.meta["sinks"], strict=True):
                assert fits_sink(finding["cwe"], sink), (sample.path, finding, sink)
                checked += 1
    assert checked > 300
