"""nox sessions: tests, lint, typecheck, gpu.

Each session installs torch 2.13.0 first so pip takes the CPU wheel where one is
available instead of resolving a multi-GB CUDA build (see README).
"""

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True

INSTALL = ["torch==2.13.0", "-e", ".[dev]"]


@nox.session
def tests(session: nox.Session) -> None:
    """The default test run (what CI runs): everything but GPU tests, which skip without CUDA."""
    session.install(*INSTALL)
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", "src", "tests", "benchmarks", "noxfile.py")


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install(*INSTALL)
    session.run("mypy", "src/aegis_cli")


@nox.session
def gpu(session: nox.Session) -> None:
    """Tests marked `gpu` (needs CUDA; bitsandbytes from the `gpu` extra)."""
    session.install("torch", "-e", ".[dev,gpu]")
    session.run("python", "-m", "pytest", "-m", "gpu", "-p", "no:cacheprovider", *session.posargs)
