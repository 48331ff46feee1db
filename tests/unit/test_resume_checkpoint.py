"""Which checkpoint `aegis train --resume` picks: the newest complete one, by step number."""

from __future__ import annotations

from aegis_cli.train.runner import latest_checkpoint


def _checkpoint(root, step, complete=True):
    path = root / f"checkpoint-{step}"
    path.mkdir(parents=True)
    (path / "model.safetensors").write_bytes(b"x")
    if complete:
        (path / "trainer_state.json").write_text("{}")
    return path


def test_newest_by_number_not_by_name(tmp_path):
    _checkpoint(tmp_path, 9)
    ten = _checkpoint(tmp_path, 10)  # "checkpoint-10" < "checkpoint-9" as text
    (tmp_path / "checkpoint-notes").mkdir()
    (tmp_path / "checkpoint-99.txt").write_text("")
    assert latest_checkpoint(tmp_path) == (str(ten), [])


def test_incomplete_newer_checkpoints_are_skipped_and_named(tmp_path):
    good = _checkpoint(tmp_path, 40)
    half = _checkpoint(tmp_path, 60, complete=False)
    newest = _checkpoint(tmp_path, 80, complete=False)
    assert latest_checkpoint(tmp_path) == (str(good), [str(newest), str(half)])


def test_nothing_complete_or_no_folder(tmp_path):
    half = _checkpoint(tmp_path, 20, complete=False)
    assert latest_checkpoint(tmp_path) == (None, [str(half)])
    assert latest_checkpoint(tmp_path / "missing") == (None, [])
