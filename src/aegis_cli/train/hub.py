"""Upload the trained adapter (or model) folder to the Hugging Face Hub.

The commit recorded is the one the upload itself returned (``CommitInfo.oid``), never
a later lookup of the repository head. A failure (no token, no network, offline mode,
refused) never raises: it comes back as ``PushResult(ok=False, error=...)`` so training
can still finish with its artifacts and the exit code can say "trained, not pushed".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aegis_cli.redact import scrub


@dataclass
class PushResult:
    ok: bool
    repo_id: str
    folder: str
    commit_sha: str | None = None
    commit_url: str | None = None
    repo_url: str | None = None
    adapter_config_url: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _short_reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = type(exc).__name__
    if name == "OfflineModeIsEnabled" or "offline mode is enabled" in text.lower():
        return "the Hub is unreachable in offline mode (HF_HUB_OFFLINE=1)"
    text = scrub(f"{name}: {text}" if text else name)
    return text[:300]


def push_folder(folder: str | Path, repo_id: str, *, private: bool = True, commit_message: str | None = None,
                endpoint: str | None = None, timeout_s: float = 60.0, token: str | None = None) -> PushResult:
    """Create the repo if needed and upload ``folder``; never raises."""
    folder = Path(folder)
    result = PushResult(ok=False, repo_id=repo_id, folder=str(folder))
    if not folder.is_dir():
        result.error = f"nothing to upload: {folder} does not exist"
        return result
    try:
        import huggingface_hub
        from huggingface_hub import HfApi
    except ImportError:
        result.error = "huggingface_hub is not installed"
        return result
    token = token or huggingface_hub.get_token()
    if not token:
        result.error = "no Hugging Face token: set HF_TOKEN or run `hf auth login`"
        return result
    restore = _bounded_timeouts(timeout_s)
    try:
        api = HfApi(endpoint=endpoint, token=token)
        repo = api.create_repo(repo_id, private=private, exist_ok=True)
        info = api.upload_folder(repo_id=repo_id, folder_path=str(folder),
                                 commit_message=commit_message or f"aegis: upload {folder.name}")
    except Exception as exc:
        result.error = _short_reason(exc)
        return result
    finally:
        restore()
    sha = getattr(info, "oid", None)
    base = (endpoint or getattr(api, "endpoint", None) or "https://huggingface.co").rstrip("/")
    result.ok = bool(sha)
    result.commit_sha = sha
    result.commit_url = getattr(info, "commit_url", None)
    result.repo_url = str(getattr(info, "repo_url", None) or getattr(repo, "url", None) or f"{base}/{repo_id}")
    if sha and (folder / "adapter_config.json").is_file():
        result.adapter_config_url = f"{base}/{repo_id}/blob/{sha}/adapter_config.json"
    if not result.ok:
        result.error = "the Hub accepted the upload but returned no commit id"
    return result


def _bounded_timeouts(timeout_s: float) -> Callable[[], None]:
    """huggingface_hub's HTTP client waits forever by default; give each request ``timeout_s``.

    Returns the function that puts the previous client factory back.
    """
    try:
        from huggingface_hub.utils import _http
    except ImportError:
        return lambda: None
    previous = getattr(_http, "_GLOBAL_CLIENT_FACTORY", None)
    setter = getattr(_http, "set_client_factory", None)
    if previous is None or setter is None:
        return lambda: None

    def factory():
        client = previous()
        try:
            client.timeout = timeout_s
        except Exception:
            pass
        return client

    setter(factory)
    return lambda: setter(previous)
