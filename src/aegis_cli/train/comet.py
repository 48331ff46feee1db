"""Comet ML for a training run: one experiment, online with COMET_API_KEY, else an offline archive.

``comet_ml`` is imported only when a :class:`CometLogger` starts (so with
``use_comet_ml: false`` it is never imported). When transformers' own CometCallback is
active (``report_to: [comet_ml]``) its running experiment is reused instead of creating
a second one. Parameters are logged with secret-named keys masked; the environment,
code, git patch and console output are not captured (they may hold secrets).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from aegis_cli.redact import redact_mapping, scrub

_QUIET: dict[str, Any] = {"log_code": False, "log_graph": False, "parse_args": False, "log_git_metadata": False,
          "log_git_patch": False, "log_env_details": False, "log_env_host": False, "log_env_gpu": False,
          "log_env_cpu": False, "log_env_network": False, "log_env_disk": False, "auto_output_logging": False,
          "auto_param_logging": False, "auto_metric_logging": False, "display_summary_level": 0}


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` → ``{"a.b": 1}``; lists become comma-joined strings."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        elif isinstance(v, (list, tuple)):
            out[key] = ", ".join(str(x) for x in v)
        else:
            out[key] = v
    return out


class CometLogger:
    """Owns (or borrows) the run's Comet experiment. Never raises into training: problems become ``error``."""

    def __init__(self, project_name: str, *, workspace: str | None = None, offline_directory: str | Path,
                 run_name: str | None = None):
        self.project_name = project_name
        self.workspace = workspace
        self.offline_directory = Path(offline_directory)
        self.run_name = run_name
        self.experiment: Any = None
        self.shared = False
        self.online = False
        self.error: str | None = None
        self.notice: str | None = None
        self.archive: str | None = None
        self.url: str | None = None
        self.offline_reason: str | None = None

    def start(self) -> str | None:
        """Create or reuse the experiment; returns a one-line notice for people (or None)."""
        try:
            import comet_ml
        except ImportError:
            self.error = "comet_ml is not installed (pip install comet-ml, or set reporting.use_comet_ml: false)"
            return self.error
        logging.getLogger("comet_ml").setLevel(logging.WARNING)
        try:
            running = comet_ml.get_running_experiment()
            if running is not None and getattr(running, "alive", False) and not getattr(running, "ended", False):
                self.experiment, self.shared = running, True
                self.online = not _is_offline(running)
                self.notice = "Comet ML: logging to the experiment started by transformers' CometCallback"
            else:
                key = os.environ.get("COMET_API_KEY") or _configured_key(comet_ml)
                why_offline = "no COMET_API_KEY"
                if key:
                    problem = _unreachable(comet_ml)
                    if problem is None:
                        self.experiment = comet_ml.start(
                            api_key=key, project_name=self.project_name, workspace=self.workspace, online=True,
                            mode="create", experiment_config=comet_ml.ExperimentConfig(name=self.run_name, **_QUIET))
                        if getattr(self.experiment, "alive", True):
                            self.online = True
                            self.notice = "Comet ML: logging online"
                        else:  # comet_ml gave up on the server but returned a dead experiment
                            self._guard(self.experiment.end)
                            self.experiment = None
                            why_offline = "the Comet server did not accept the experiment"
                    else:
                        why_offline = f"the Comet server is unreachable ({problem})"
                if self.experiment is None:
                    self.offline_reason = why_offline
                    self.offline_directory.mkdir(parents=True, exist_ok=True)
                    config = comet_ml.ExperimentConfig(name=self.run_name, offline_directory=str(self.offline_directory), **_QUIET)
                    self.experiment = comet_ml.start(project_name=self.project_name, workspace=self.workspace,
                                                     online=False, mode="create", experiment_config=config)
                    self.notice = (f"Comet ML: {why_offline}, writing an offline experiment archive under "
                                   f"{self.offline_directory} (upload it later with `comet upload`)")
        except Exception as exc:
            self.experiment = None
            self.error = f"could not start a Comet experiment: {scrub(f'{type(exc).__name__}: {exc}')}"
            return self.error
        self.url = self._url()
        return self.notice

    def log_parameters(self, params: dict[str, Any]) -> None:
        self._guard(lambda: self.experiment.log_parameters(_flatten(redact_mapping(params))))

    def log_metrics(self, metrics: dict[str, Any], *, step: int, epoch: float | None = None) -> None:
        clean = {k: v for k, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        if clean:
            self._guard(lambda: self.experiment.log_metrics(clean, step=step, epoch=epoch))

    def log_assets(self, paths: list[Path], *, step: int | None = None) -> None:
        for path in paths:
            if Path(path).is_file():
                self._guard(lambda p=path: self.experiment.log_asset(str(p), file_name=Path(p).name, step=step, overwrite=True))

    def end(self, *, shared_too: bool = False) -> None:
        """End the experiment (a shared one only with ``shared_too``) and note the offline archive path."""
        if self.experiment is None:
            return
        exp = self.experiment
        ended = not self.shared or shared_too
        if ended:
            self._guard(exp.end)
        if _is_offline(exp):
            name = getattr(exp, "_get_offline_archive_file_name", None)
            directory = getattr(exp, "offline_directory", None) or str(self.offline_directory)
            self.offline_directory = Path(directory)
            # written by end(); a shared experiment left running writes it when its owner ends it
            self.archive = str(Path(directory) / name()) if ended and callable(name) else None
        self.url = self.url or self._url()

    def info(self) -> dict[str, Any]:
        return {
            "online": self.online,
            "shared": self.shared,
            "url": self.url,
            "archive": self.archive,
            "offline_directory": str(self.offline_directory) if not self.online else None,
            "project": self.project_name,
            "error": self.error,
            "notice": self.notice,
            "offline_reason": self.offline_reason,
        }

    def _url(self) -> str | None:
        if self.experiment is None or not self.online:
            return None
        try:
            return getattr(self.experiment, "url", None)
        except Exception:
            return None

    def _guard(self, fn) -> None:
        if self.experiment is None:
            return
        try:
            fn()
        except Exception as exc:
            self.error = self.error or f"Comet ML: {scrub(f'{type(exc).__name__}: {exc}')}"


def _is_offline(exp: Any) -> bool:
    return type(exp).__name__.startswith("Offline") or hasattr(exp, "offline_directory")


def _configured_key(comet_ml: Any) -> str | None:
    try:
        return comet_ml.get_config().get_string(None, "comet.api_key")
    except Exception:
        return None


def _unreachable(comet_ml: Any, timeout_s: float = 3.0) -> str | None:
    """Why the Comet server cannot be reached (a quick TCP connect), or None.

    comet_ml itself retries for about half a minute before giving up and returning an
    experiment that logs nothing; this check lets aegis fall back to an offline archive
    at once instead.
    """
    import socket
    from urllib.parse import urlparse

    try:
        url = comet_ml.get_config().get_string(None, "comet.url_override") or "https://www.comet.com/clientlib/"
    except Exception:
        url = "https://www.comet.com/clientlib/"
    parsed = urlparse(url)
    host = parsed.hostname or "www.comet.com"
    port = parsed.port or (443 if parsed.scheme != "http" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return None
    except OSError as exc:
        return f"{host}:{port}: {exc.strerror or type(exc).__name__}"
