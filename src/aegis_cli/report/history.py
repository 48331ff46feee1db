"""history.json: the permanent, resumable record of a training run.

One JSON document (schema ``aegis.train-history``, versioned) with every logged step
and its telemetry aggregates (``entries``), evaluations, and the run segments (one per
``train()`` call: start, end, status, world size, whole-segment hardware totals).

* Written atomically (temporary file in the same directory, fsync, ``os.replace``): a
  crash or a full disk leaves the previous version intact.
* Resumable: ``resume_at(step)`` drops entries after the checkpoint's step and starts a
  new segment, so nothing is duplicated; ``merge_log_history`` fills in steps the
  checkpoint's ``trainer_state.json`` logged but this file had not saved yet.
* A corrupt file is never silently replaced: ``load`` raises :class:`HistoryCorrupt`
  and ``backup_corrupt`` moves it aside as ``history.json.corrupt-<timestamp>``.

This module imports neither torch nor transformers (``aegis report`` reads it).
"""

from __future__ import annotations

import bisect
import json
import math
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from aegis_cli.errors import AegisError
from aegis_cli.fsutil import atomic_write_text

SCHEMA = "aegis.train-history"
SCHEMA_VERSION = 1
FILENAME = "history.json"
STATUSES = ("running", "completed", "failed", "interrupted")

#: the per-step fields of an entry, in order (None = unknown, shown N/A)
ENTRY_FIELDS = (
    "step", "epoch", "t", "seg", "loss", "lr", "grad_norm", "samples", "interval_s", "steps",
    "samples_per_s", "tokens", "tokens_per_s", "vram_peak_mb", "vram_mean_mb", "power_min_w",
    "power_mean_w", "power_max_w", "util_pct", "temp_max_c", "energy_j", "energy_estimated", "hw_samples",
)


class HistoryCorrupt(AegisError):
    """history.json exists but cannot be read as a training history."""


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _finite_or_none(value: Any) -> Any:
    """JSON has no NaN: a non-finite float is written as null with the reason kept elsewhere."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class History:
    """The history document plus the operations that keep it consistent.

    Entries are stored by column (one list per field, all the same length), in memory and
    in the file: 100,000 logged steps stay a ~15 MB file that loads in a fraction of a
    second and feeds the chart without per-step Python objects. Each value's JSON text is
    kept beside it as it is appended, so rewriting the file costs a join, not a re-encode.
    """

    def __init__(self, data: dict[str, Any]):
        entries = data.get("entries")
        self.data = {k: v for k, v in data.items() if k != "entries"}
        self._cols: dict[str, list[Any]] = {}
        self._enc: dict[str, list[str]] = {}
        self._n = 0
        if isinstance(entries, dict) and entries:
            self._n = len(entries.get("step") or [])
            for key, values in entries.items():
                self._cols[key] = list(values)
                self._enc[key] = [_encode(v) for v in values]
        for key in ENTRY_FIELDS:
            self._ensure(key)

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> History:
        return cls(document)

    # ------------------------------------------------------------ creation
    @classmethod
    def new(cls, project_name: str, run_id: str, **fields: Any) -> History:
        from aegis_cli import __version__

        now = utc_now()
        data: dict[str, Any] = {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "aegis_version": __version__,
            "project_name": project_name,
            "run_id": run_id,
            "status": "running",
            "error": None,
            "created_at": now,
            "updated_at": now,
            "global_step": 0,
            "max_steps": None,
            "batch": {"per_device": None, "grad_accum": None, "world_size": None},
            "model": {},
            "config": {},
            "hardware": {},
            "segments": [],
            "evals": [],
            "final_metrics": {},
            "warnings": [],
            "checkpoints": [],
            "hub": None,
            "comet": None,
        }
        data.update(fields)
        return cls(data)

    @classmethod
    def load(cls, path: str | Path) -> History:
        """Read and check a history file. Raises HistoryCorrupt (never returns a partial one)."""
        return cls(read_document(path))

    @staticmethod
    def backup_corrupt(path: str | Path) -> Path:
        """Move a damaged history aside (``history.json.corrupt-<UTC timestamp>``) and return the new path."""
        p = Path(path)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        target = p.with_name(f"{p.name}.corrupt-{stamp}")
        n = 1
        while target.exists():
            target = p.with_name(f"{p.name}.corrupt-{stamp}-{n}")
            n += 1
        os.replace(p, target)
        return target

    # ------------------------------------------------------------- access
    def __len__(self) -> int:
        return self._n

    def column(self, name: str) -> list[Any]:
        """The values of one field, one per logged step (None where unknown)."""
        return list(self._cols[name]) if name in self._cols else [None] * self._n

    @property
    def entries(self) -> list[dict[str, Any]]:
        """Every logged step as a dict (materialised on each call: prefer ``column`` for long runs)."""
        return rows(self.document())

    @property
    def steps(self) -> list[int]:
        return self._cols["step"]

    @property
    def segments(self) -> list[dict[str, Any]]:
        return self.data["segments"]

    @property
    def evals(self) -> list[dict[str, Any]]:
        return self.data["evals"]

    @property
    def current_segment(self) -> dict[str, Any] | None:
        return self.segments[-1] if self.segments else None

    @property
    def last_step(self) -> int:
        return self._cols["step"][-1] if self._n else 0

    # ----------------------------------------------------------- segments
    def start_segment(self, start_step: int, world_size: int, *, resumed_from: int | None = None) -> dict[str, Any]:
        """Open a new run segment (the previous one, if still running, is closed as interrupted)."""
        cur = self.current_segment
        if cur is not None and cur["status"] == "running":
            # the process that ran it died without a word (kill -9, power loss)
            cur["status"] = "interrupted"
            cur["error"] = cur.get("error") or "the process ended without closing this segment (killed?)"
            cur["ended_at"] = cur.get("ended_at") or cur.get("updated_at")
        segment = {
            "index": len(self.segments),
            "started_at": utc_now(),
            "updated_at": utc_now(),
            "ended_at": None,
            "start_step": start_step,
            "end_step": start_step,
            "status": "running",
            "error": None,
            "duration_s": 0.0,
            "world_size": world_size,
            "resumed_from": resumed_from,
            "telemetry": None,
        }
        self.segments.append(segment)
        self.data["status"] = "running"
        self.data["error"] = None
        return segment

    def update_segment(self, *, end_step: int, duration_s: float, telemetry: dict[str, Any] | None) -> None:
        seg = self.current_segment
        if seg is None:
            return
        seg["end_step"] = end_step
        seg["duration_s"] = duration_s
        seg["updated_at"] = utc_now()
        if telemetry is not None:
            seg["telemetry"] = telemetry
        self.data["global_step"] = end_step

    def end_segment(self, status: str, *, error: str | None = None, end_step: int, duration_s: float,
                    telemetry: dict[str, Any] | None) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        self.update_segment(end_step=end_step, duration_s=duration_s, telemetry=telemetry)
        seg = self.current_segment
        if seg is not None:
            seg["status"] = status
            seg["error"] = error
            seg["ended_at"] = utc_now()
        self.data["status"] = status
        self.data["error"] = error

    # ------------------------------------------------------------- resume
    def resume_at(self, step: int) -> int:
        """Forget everything logged after ``step`` (the checkpoint being resumed); returns entries dropped."""
        before = self._n
        self._truncate(bisect.bisect_right(self._cols["step"], step))
        self.data["evals"] = [e for e in self.evals if e["step"] <= step]
        self.data["checkpoints"] = [c for c in self.data.get("checkpoints", []) if c.get("step", 0) <= step]
        self.data["final_metrics"] = {}
        self.data["global_step"] = step
        return before - self._n

    def merge_log_history(self, log_history: list[dict[str, Any]], upto_step: int) -> int:
        """Add steps the Trainer logged (``trainer_state.json``) that this history lacks.

        Their loss, learning rate and grad norm are the Trainer's; telemetry for them is
        unknown (None). Returns the number of entries added.
        """
        have = set(self._cols["step"])
        added = []
        for log in log_history or []:
            step = log.get("step")
            if not isinstance(step, int) or step > upto_step:
                continue
            if "loss" in log and step not in have:
                entry = empty_entry(step)
                entry.update(
                    epoch=log.get("epoch"), loss=_finite_or_none(log.get("loss")), lr=log.get("learning_rate"),
                    grad_norm=_finite_or_none(log.get("grad_norm")), from_checkpoint=True,
                )
                added.append(entry)
                have.add(step)
            elif any(str(k).startswith("eval_") for k in log) and not any(e["step"] == step for e in self.evals):
                self.evals.append({"step": step, "epoch": log.get("epoch"),
                                   "metrics": {k: _finite_or_none(v) for k, v in log.items() if k.startswith("eval_")}})
        if added:
            merged = sorted(self.entries + added, key=lambda e: e["step"])
            self._truncate(0)
            for entry in merged:
                self.add_entry(entry)
            self.evals.sort(key=lambda e: e["step"])
        return len(added)

    # ------------------------------------------------------------ entries
    def add_entry(self, entry: dict[str, Any]) -> None:
        """Append one logged step. Floats keep 7 significant digits (what the file holds)."""
        step = entry["step"]
        if self._n and step <= self._cols["step"][-1]:
            # never two entries for one step (a re-log after resume replaces the old one)
            self._truncate(bisect.bisect_left(self._cols["step"], step))
        for key in entry:
            self._ensure(key)
        for key, col in self._cols.items():
            value = _round(entry.get(key))
            col.append(value)
            self._enc[key].append(_encode(value))
        self._n += 1

    def add_eval(self, step: int, epoch: float | None, metrics: dict[str, Any]) -> None:
        self.data["evals"] = [e for e in self.evals if e["step"] != step]
        self.evals.append({"step": step, "epoch": epoch, "metrics": {k: _finite_or_none(v) for k, v in metrics.items()}})

    def warn(self, text: str) -> None:
        if text not in self.data["warnings"]:
            self.data["warnings"].append(text)

    def _ensure(self, key: str) -> None:
        if key not in self._cols:
            self._cols[key] = [None] * self._n
            self._enc[key] = ["null"] * self._n

    def _truncate(self, n: int) -> None:
        for key in self._cols:
            del self._cols[key][n:]
            del self._enc[key][n:]
        self._n = min(self._n, n)

    # -------------------------------------------------------------- write
    def document(self) -> dict[str, Any]:
        """The JSON document (entries as columns), sharing nothing mutable with this history."""
        return self.snapshot().document()

    def to_json(self) -> str:
        return self.snapshot().to_json()

    def save(self, path: str | Path) -> None:
        self.snapshot().save(path)

    def snapshot(self) -> HistorySnapshot:
        """A cheap, consistent view for a writer thread: entries are append-only, so the
        current length fixes the content. Of the head, what changes during a run (segments,
        evals, lists, status) is copied; config, model and hardware are written once at the
        start and only ever replaced whole, so they are shared."""
        self.data["updated_at"] = utc_now()
        head = dict(self.data)
        head["segments"] = [dict(seg) for seg in self.segments]
        for key in ("evals", "warnings", "checkpoints"):
            head[key] = list(self.data.get(key) or [])
        head["final_metrics"] = dict(self.data.get("final_metrics") or {})
        return HistorySnapshot(self, self._n, head)


class HistorySnapshot:
    """What a background writer renders: ``history``'s first ``n`` entries and a copy of its head."""

    def __init__(self, history: History, n: int, head: dict[str, Any]):
        self._history = history
        self.n = n
        self.head = head

    def to_json(self) -> str:
        """Head indented; entries one line per field, values pre-encoded as they were appended."""
        body = json.dumps(_sanitize(self.head), ensure_ascii=False, indent=1, allow_nan=False, default=str)
        assert body.endswith("\n}")
        enc = self._history._enc
        columns = ",\n".join(f"  {json.dumps(key)}: [" + ",".join(col[: self.n]) + "]" for key, col in list(enc.items()))
        return body[:-2] + ',\n "entries": {\n' + columns + "\n }\n}\n"

    def document(self) -> dict[str, Any]:
        """The JSON document as plain data (what reading the file back would give)."""
        doc = json.loads(json.dumps(_sanitize(self.head), default=str))
        doc["entries"] = {key: col[: self.n] for key, col in list(self._history._cols.items())}
        return doc

    def save(self, path: str | Path) -> None:
        atomic_write_text(Path(path), self.to_json(), fsync=True)


def empty_entry(step: int) -> dict[str, Any]:
    entry: dict[str, Any] = dict.fromkeys(ENTRY_FIELDS)
    entry["step"] = step
    entry["energy_estimated"] = False
    return entry


def check(data: Any) -> str | None:
    """Why ``data`` is not a usable history document, or None."""
    if not isinstance(data, dict):
        return "the top level is not an object"
    if data.get("schema") != SCHEMA:
        return f"schema is {data.get('schema')!r}, expected {SCHEMA!r}"
    version = data.get("schema_version")
    if not isinstance(version, int):
        return "schema_version is missing"
    if version > SCHEMA_VERSION:
        return f"schema_version {version} is newer than this aegis understands ({SCHEMA_VERSION}); upgrade aegis"
    for key, kind in (("entries", dict), ("segments", list), ("evals", list), ("project_name", str)):
        if not isinstance(data.get(key), kind):
            return f"{key!r} is missing or not a{'n' if kind is dict else ''} {'object' if kind is dict else 'list' if kind is list else 'string'}"
    entries = data["entries"]
    steps = entries.get("step", [])
    if not isinstance(steps, list):
        return "entries.step is not a list"
    for key, values in entries.items():
        if not isinstance(values, list) or len(values) != len(steps):
            return f"entries.{key} does not have one value per step ({len(steps)})"
    last = -1
    for i, step in enumerate(steps):
        if not isinstance(step, int) or isinstance(step, bool):
            return f"entry {i} has no integer step"
        if step <= last:
            return f"entry {i} (step {step}) is out of order"
        last = step
    for i, s in enumerate(data["segments"]):
        if not isinstance(s, dict) or s.get("status") not in STATUSES:
            return f"segment {i} has no valid status"
    return None


def read_document(path: str | Path) -> dict[str, Any]:
    """The checked JSON document of a history file (entries as columns). Raises HistoryCorrupt;
    FileNotFoundError passes through."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise HistoryCorrupt(f"cannot read {p}: {exc.strerror or exc}", "check the file's permissions") from exc
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HistoryCorrupt(f"{p} is not valid JSON ({exc})", "it was moved aside; see the .corrupt-* file") from exc
    problem = check(data)
    if problem:
        raise HistoryCorrupt(f"{p} is not an aegis training history: {problem}", "it was moved aside; see the .corrupt-* file")
    return data


def rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The entries of a history document as one dict per logged step."""
    entries = document.get("entries") or {}
    keys = list(entries)
    return [dict(zip(keys, values, strict=True)) for values in zip(*(entries[k] for k in keys), strict=True)] if keys else []


def _round(value: Any) -> Any:
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return float(f"{value:.7g}")
    return value


def _encode(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "null"
    return json.dumps(value, ensure_ascii=False, default=str)


def from_log_history(project_name: str, run_id: str, log_history: list[dict[str, Any]], upto_step: int) -> History:
    """A history rebuilt from a checkpoint's ``trainer_state.json`` log (no telemetry: those figures are None)."""
    history = History.new(project_name, run_id)
    history.merge_log_history(log_history, upto_step)
    history.warn(
        f"steps up to {upto_step} were rebuilt from the checkpoint's trainer_state.json: "
        "their loss and learning rate are the Trainer's, their hardware telemetry is unknown"
    )
    return history


def _sanitize(value: Any) -> Any:
    if isinstance(value, float):
        return _finite_or_none(value)
    if isinstance(value, dict):
        return {str(k): _sanitize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_sanitize(v) for v in value]
    return value
