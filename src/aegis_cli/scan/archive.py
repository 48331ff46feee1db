"""Safe ingestion: a ZIP archive or a directory in, source files and reasoned skips out.

Everything a scan reads goes through :func:`iter_sources`. The target is untrusted, so:

* Nothing is ever extracted. ZIP members are decompressed in memory, in blocks, through
  ``ZipFile.open``; header sizes are only used to refuse early, never to decide how much
  to read. Reading stops at ``max_file_bytes + 1`` or at the archive's remaining budget.
* Paths are checked before anything is read: ``..`` traversal, absolute paths (``/x``,
  ``C:\\x``, ``\\\\server``), symlinks, duplicates and over-deep paths are refused with a
  reason; names are made printable (control characters are escaped) before anyone sees them.
* Binaries (NUL bytes), minified or generated code, vendored folders, nested archives and
  files that are not source are skipped, each reported once through ``on_skip`` with a
  short reason that names the cause. Nothing is dropped silently except directory entries.
* Memory stays bounded: the generator holds one file's bytes at a time; per-archive state
  is one small record per member name (duplicate detection) and per directory.

A damaged *member* is a skip and the rest of the archive is still read; a target that
cannot be read at all raises :class:`~aegis_cli.errors.InputError`.
"""

from __future__ import annotations

import codecs
import itertools
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from aegis_cli.errors import ConfigError, InputError
from aegis_cli.scan.languages import could_be_script, detect_language, language_from_shebang

__all__ = [
    "NESTED_ARCHIVE_EXTENSIONS",
    "VENDORED_DIRS",
    "Limits",
    "PathFilter",
    "Skip",
    "SkipKind",
    "SourceFile",
    "count_candidates",
    "display_path",
    "format_bytes",
    "iter_sources",
]


@dataclass(frozen=True)
class Limits:
    """Hard limits for one scan target. Sizes are uncompressed bytes actually read."""

    max_file_bytes: int = 2 * 2**20
    """Largest file or member scanned (CLI ``--max-file-bytes``); larger ones are skipped."""
    max_total_bytes: int = 8 * 2**30
    """Uncompressed bytes read from the whole target; later files are skipped once spent."""
    max_members: int = 1_000_000
    """Archive members (or directory files) looked at; an archive declaring more is refused."""
    max_ratio: float = 200.0
    """Largest compression ratio of one member (uncompressed / compressed): zip bombs."""
    max_depth: int = 64
    """Most path components of a file's relative path."""
    max_line_chars: int = 10_000
    """A file with a longer line is treated as minified or generated and skipped."""

    def __post_init__(self) -> None:
        bad = [name for name in ("max_file_bytes", "max_total_bytes", "max_members", "max_ratio",
                                 "max_depth", "max_line_chars") if not getattr(self, name) > 0]
        if bad:
            raise ConfigError(f"scan limits must be positive: {', '.join(bad)}",
                              "pass a value above 0 (for example --max-file-bytes 2097152)")


@dataclass
class SourceFile:
    path: str  # posix, relative to the target root, printable
    text: str
    language: str
    size: int  # bytes as stored
    encoding: str  # "utf-8", "latin-1" (flagged) or "utf-16" (BOM, flagged)
    flags: tuple[str, ...] = ()


class SkipKind:
    """Stable machine names for skip causes (group by these; show ``Skip.reason`` to people)."""

    UNSAFE_PATH = "unsafe-path"
    SYMLINK = "symlink"
    SPECIAL_FILE = "special-file"
    DUPLICATE = "duplicate"
    TOO_DEEP = "too-deep"
    MEMBER_LIMIT = "member-limit"
    ZIP_BOMB = "zip-bomb"
    TOTAL_LIMIT = "total-limit"
    TOO_LARGE = "too-large"
    ENCRYPTED = "encrypted"
    CORRUPT = "corrupt"
    UNSUPPORTED = "unsupported"
    UNREADABLE = "unreadable"
    BINARY = "binary"
    MINIFIED = "minified"
    VENDORED = "vendored"
    EXCLUDED = "excluded"
    NESTED_ARCHIVE = "nested-archive"
    NOT_SOURCE = "not-source"
    OTHER_SHARD = "other-shard"  # another worker of a multi-device scan reads it: never reported


@dataclass(frozen=True)
class Skip:
    path: str  # printable; a folder skipped as a whole ends with "/"
    reason: str  # short, for people, names the cause
    kind: str = ""  # one of SkipKind


#: Folder names whose contents are third-party, generated or tool state (compared lower-case).
VENDORED_DIRS: frozenset[str] = frozenset({
    "node_modules", "bower_components", "jspm_packages", "vendor", "third_party", "third-party",
    "thirdparty", ".git", ".hg", ".svn", ".bzr", "dist", "build", "venv", ".venv", "env",
    "virtualenv", "__pycache__", "site-packages", "dist-packages", "target", ".tox", ".nox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".eggs", ".gradle", "pods", "carthage",
    ".next", ".nuxt", ".svelte-kit", ".terraform", ".cache", "htmlcov",
})

#: Members with these extensions are archives themselves; they are reported, never opened.
NESTED_ARCHIVE_EXTENSIONS: frozenset[str] = frozenset({
    ".zip", ".jar", ".war", ".ear", ".aar", ".apk", ".ipa", ".whl", ".egg", ".nupkg", ".xpi",
    ".crx", ".vsix", ".tar", ".tgz", ".gz", ".bz2", ".tbz", ".tbz2", ".xz", ".txz", ".zst",
    ".lz", ".lzma", ".7z", ".rar", ".cab",
})

_MINIFIED_SUFFIXES = (".min.js", "-min.js", ".min.mjs", ".min.cjs", ".bundle.min.js")
_BLOCK = 64 * 1024
_SNIFF = 8 * 1024  # NUL bytes in this much of the start mean binary
_RATIO_FLOOR = 64 * 1024  # a member this small cannot be a meaningful bomb; legit tiny files compress well
_SUPPORTED_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA})
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_DRIVE = re.compile(r"^[A-Za-z]:")
_GENERATED = re.compile(
    r"DO NOT EDIT"
    r"|(?i:@generated\b)"
    r"|(?im:^\W{0,6}(?:this (?:file|code) (?:is|was|has been) )?"
    r"(?:auto[- ]?generated|automatically generated|code generated|generated (?:automatically )?(?:by|from|with))\b)"
)
_GENERATED_HEAD_LINES = 10
_AVERAGE_LINE_CHARS = 400  # minifiers that wrap lines (~500 chars) still average far above real code
_AVERAGE_MIN_CHARS = 8192


def format_bytes(n: float) -> str:
    """1536 -> '1.5 KiB', 2*2**20 -> '2 MiB' (binary units, one decimal at most)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            text = f"{n:.1f}".rstrip("0").rstrip(".") if unit != "B" else str(int(n))
            return f"{text} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def display_path(name: str) -> str:
    """``name`` with every non-printable character escaped (``\\x1b``, ``\\u202e``).

    Undecodable bytes of a file-system name (surrogate escapes) come back as ``\\xNN``.
    The result is safe to print, log, and encode as UTF-8 (JSON, SARIF).
    """
    if name.isprintable():
        return name
    out = []
    for ch in name:
        if ch.isprintable():
            out.append(ch)
            continue
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's surrogateescape for a raw byte
            out.append(f"\\x{code - 0xDC00:02x}")
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "".join(out)


# ---------------------------------------------------------------------------- include / exclude


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """fnmatch-style glob to regex: ``*`` and ``?`` stay within a component, ``**`` crosses them."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if pattern.startswith("**", i):
            after = i + 2
            if (i == 0 or pattern[i - 1] == "/") and pattern.startswith("/", after):
                out.append("(?:[^/]*/)*")  # "**/" = zero or more folders
                i = after + 1
            else:
                out.append(".*")
                i = after
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            end = pattern.find("]", i + 2 if pattern[i + 1 : i + 2] in ("!", "]") else i + 1)
            if end == -1:
                out.append(re.escape(c))
                i += 1
                continue
            body = pattern[i + 1 : end].replace("\\", "\\\\")
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append(f"[{body}]")
            i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out), re.DOTALL)


class _Glob:
    """One include/exclude pattern, matched like .gitignore lines.

    A pattern without ``/`` matches a file or folder name at any depth (``*.min.js``,
    ``tests``); one with ``/`` is matched against the whole relative path from the root
    (``src/**/*.py``, ``docs/*.js``). A trailing ``/`` matches folders only. Matching a
    folder matches everything under it.
    """

    def __init__(self, pattern: str):
        self.pattern = pattern
        text = pattern.strip().replace("\\", "/")
        while text.startswith("./"):
            text = text[2:]
        self.dir_only = text.endswith("/")
        text = text.strip("/")
        self.anchored = "/" in text
        self.regex = _glob_regex(text) if text else None

    def matches_file(self, path: str, name: str) -> bool:
        if self.regex is None or self.dir_only:
            return False
        return bool(self.regex.fullmatch(path if self.anchored else name))

    def matches_dir(self, path: str, name: str) -> bool:
        return self.regex is not None and bool(self.regex.fullmatch(path if self.anchored else name))


class PathFilter:
    """``--include`` / ``--exclude`` globs on relative paths; exclude wins."""

    def __init__(self, include: Sequence[str] = (), exclude: Sequence[str] = (),
                 shard: tuple[int, int] | None = None):
        self.include = [_Glob(p) for p in include if p.strip()]
        self.exclude = [_Glob(p) for p in exclude if p.strip()]
        self.shard = shard

    def in_shard(self, path: str) -> bool:
        """A file belongs to exactly one shard, by a stable hash of its path."""
        if self.shard is None:
            return True
        index, count = self.shard
        return zlib.crc32(path.encode("utf-8", "surrogatepass")) % count == index

    def excluded_dir(self, path: str, name: str) -> str | None:
        """The exclude pattern that matches this folder, if any."""
        return next((g.pattern for g in self.exclude if g.matches_dir(path, name)), None)

    def file_verdict(self, parts: Sequence[str]) -> str | None:
        """None when the file is selected, else the reason it is not.

        Folders are checked separately (once per folder), so only the file itself is matched
        against the exclude patterns here; include patterns may match the file or any folder.
        """
        path, name = "/".join(parts), parts[-1]
        for glob in self.exclude:
            if glob.matches_file(path, name):
                return f"excluded by pattern {glob.pattern!r}"
        if not self.include:
            return None
        for glob in self.include:
            if glob.matches_file(path, name):
                return None
            if any(glob.matches_dir("/".join(parts[:k]), parts[k - 1]) for k in range(1, len(parts))):
                return None
        return "not matched by any include pattern"


# ---------------------------------------------------------------------------- shared checks


class _Budget:
    def __init__(self, total: int):
        self.total = total
        self.left = total

    def spend(self, n: int) -> None:
        self.left = max(0, self.left - n)


def _total_limit_skip(path: str, budget: _Budget) -> Skip:
    return Skip(path, f"total uncompressed size limit ({format_bytes(budget.total)}) reached", SkipKind.TOTAL_LIMIT)


def _dir_skip(dir_parts: Sequence[str], filters: PathFilter, limits: Limits) -> Skip | None:
    """Why a whole folder (given as its path components) is not walked, or None."""
    name = dir_parts[-1]
    path = "/".join(dir_parts)
    lowered = name.lower()
    if lowered in VENDORED_DIRS or lowered.endswith(".egg-info"):
        return Skip(path + "/", f"vendored ({name})", SkipKind.VENDORED)
    pattern = filters.excluded_dir(path, name)
    if pattern is not None:
        return Skip(path + "/", f"excluded by pattern {pattern!r}", SkipKind.EXCLUDED)
    if len(dir_parts) >= limits.max_depth:
        return Skip(path + "/", f"path too deep (more than {limits.max_depth} components)", SkipKind.TOO_DEEP)
    return None


def _file_skip(parts: Sequence[str], filters: PathFilter) -> tuple[str | None, Skip | None]:
    """Cheap checks on a file's path alone: (language or None, skip or None).

    A None language with no skip means only the file's shebang can tell.
    """
    path = "/".join(parts)
    if not filters.in_shard(path):
        return None, Skip(path, "read by another shard", SkipKind.OTHER_SHARD)
    reason = filters.file_verdict(parts)
    if reason is not None:
        return None, Skip(path, reason, SkipKind.EXCLUDED)
    name = parts[-1].lower()
    extension = os.path.splitext(name)[1]
    if extension in NESTED_ARCHIVE_EXTENSIONS:
        return None, Skip(path, "nested archive (not scanned)", SkipKind.NESTED_ARCHIVE)
    language = detect_language(path)
    if language is None and not could_be_script(path):
        return None, Skip(path, "not a recognised source language", SkipKind.NOT_SOURCE)
    if name.endswith(_MINIFIED_SUFFIXES):
        return None, Skip(path, "minified or generated (.min.js name)", SkipKind.MINIFIED)
    return language, None


def _shebang_check(path: str, language: str | None) -> Callable[[bytes], tuple[str | None, Skip | None]]:
    """For extensionless files: decide the language from the first block, or skip."""

    def check(first_block: bytes) -> tuple[str | None, Skip | None]:
        if language is not None:
            return language, None
        found = language_from_shebang(first_block[:256].decode("latin-1"))
        if found is None:
            return None, Skip(path, "not a recognised source language", SkipKind.NOT_SOURCE)
        return found, None

    return check


def _read_bounded(
    read: Callable[[int], bytes],
    path: str,
    limits: Limits,
    budget: _Budget,
    sniff: Callable[[bytes], tuple[str | None, Skip | None]],
    *,
    compressed_size: int | None = None,
    declared_size: int | None = None,
) -> tuple[bytearray, str] | Skip:
    """Read at most ``max_file_bytes + 1`` and at most the budget left, block by block.

    ``compressed_size`` (ZIP members) enables the ratio check on bytes actually produced, so
    a member whose header understates its size is stopped as soon as it inflates too far.
    """
    buf = bytearray()
    language: str | None = None
    while True:
        # ask for one byte more than either limit allows, so going over is seen, never overshot
        want = min(_BLOCK, limits.max_file_bytes + 1 - len(buf), budget.left + 1)
        block = read(want)
        if not block:
            break
        if len(block) > budget.left:
            budget.spend(len(block))
            return _total_limit_skip(path, budget)
        budget.spend(len(block))
        if not buf:
            if b"\x00" in block[:_SNIFF] and not block.startswith(_UTF16_BOMS):
                return Skip(path, "binary (NUL bytes)", SkipKind.BINARY)
            language, skip = sniff(block)
            if skip is not None:
                return skip
        buf += block
        n = len(buf)
        if compressed_size is not None and n > _RATIO_FLOOR and n > limits.max_ratio * max(compressed_size, 1):
            ratio = n / max(compressed_size, 1)
            return Skip(path, f"zip bomb: compression ratio over {ratio:,.0f}:1 > {limits.max_ratio:g}:1 "
                              "(header sizes were false)", SkipKind.ZIP_BOMB)
        if n > limits.max_file_bytes:
            said = "" if declared_size is None else f"; header said {format_bytes(declared_size)}"
            return Skip(path, f"too large (more than {format_bytes(limits.max_file_bytes)}{said})",
                        SkipKind.TOO_LARGE)
    if language is None:  # empty file: the shebang check never ran
        language, skip = sniff(b"")
        if skip is not None:
            return skip
    assert language is not None
    return buf, language


def _decode(data: bytearray) -> tuple[str, str, tuple[str, ...]] | None:
    """(text, encoding, flags), or None for binary. Never drops bytes silently."""
    if data.startswith(_UTF16_BOMS):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            return None
        return (None if "\x00" in text else (text, "utf-16", ("decoded-utf-16",)))
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig"), "utf-8", ()
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1", ("decoded-latin-1",)


def _generated_reason(text: str, limits: Limits) -> str | None:
    head = "\n".join(text[:4096].split("\n", _GENERATED_HEAD_LINES)[:_GENERATED_HEAD_LINES])
    if _GENERATED.search(head):
        return "minified or generated (generated-code marker)"
    if len(text) > limits.max_line_chars:
        longest = max(map(len, text.split("\n")))
        if longest > limits.max_line_chars:
            return f"minified or generated (a line of {longest:,} chars > {limits.max_line_chars:,})"
    if len(text) >= _AVERAGE_MIN_CHARS:
        average = len(text) / (text.count("\n") + (not text.endswith("\n")))
        if average > _AVERAGE_LINE_CHARS:
            return f"minified or generated (average line of {average:,.0f} chars)"
    return None


def _to_source(path: str, data: bytearray, language: str, limits: Limits) -> SourceFile | Skip:
    decoded = _decode(data)
    if decoded is None:
        return Skip(path, "binary (NUL bytes)", SkipKind.BINARY)
    text, encoding, flags = decoded
    reason = _generated_reason(text, limits)
    if reason is not None:
        return Skip(path, reason, SkipKind.MINIFIED)
    return SourceFile(path=path, text=text, language=language, size=len(data), encoding=encoding, flags=flags)


class _DirVerdicts:
    """Folder verdicts for flat member lists: each skipped folder is reported once."""

    def __init__(self, filters: PathFilter, limits: Limits, report: Callable[[Skip], None]):
        self.filters, self.limits, self.report = filters, limits, report
        self.memo: dict[str, Skip | None] = {"": None}

    def skipped(self, dir_parts: Sequence[str]) -> bool:
        key = "/".join(dir_parts)
        verdict = self.memo.get(key, False)
        if verdict is not False:
            return verdict is not None
        depth = min(len(dir_parts), self.limits.max_depth)
        for k in range(1, depth + 1):
            prefix = "/".join(dir_parts[:k])
            if prefix not in self.memo:
                own = _dir_skip(dir_parts[:k], self.filters, self.limits)
                self.memo[prefix] = own
                if own is not None:
                    self.report(own)
            if self.memo[prefix] is not None:
                self.memo[key] = self.memo[prefix]
                return True
        self.memo[key] = None
        return False


# ---------------------------------------------------------------------------- ZIP archives


def _member_parts(raw: str) -> tuple[list[str], str | None]:
    """Split a member name into safe components, or give the reason it is unsafe."""
    name = raw.replace("\\", "/")
    if name.startswith("/") or _DRIVE.match(name):
        return [], "absolute path"
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        return [], "path traversal (../)"
    return [display_path(p) for p in parts], None


def _overlapping_members(infos: Sequence[zipfile.ZipInfo]) -> set[int]:
    """Members whose data range runs into another member's header (overlap zip bombs)."""
    order = sorted(range(len(infos)), key=lambda i: infos[i].header_offset)
    bad: set[int] = set()
    for a, b in itertools.pairwise(order):
        start_a, start_b = infos[a].header_offset, infos[b].header_offset
        if start_b < start_a + 30 + infos[a].compress_size:
            bad.add(a)
            if start_b == start_a:
                bad.add(b)
    return bad


def _read_error_skip(path: str, exc: BaseException) -> Skip:
    message = str(exc)
    if isinstance(exc, zipfile.BadZipFile):
        if message.startswith("Bad CRC-32"):
            return Skip(path, "CRC mismatch (corrupt member)", SkipKind.CORRUPT)
        if "differ" in message:
            return Skip(path, "corrupt member (local header name differs from directory)", SkipKind.CORRUPT)
        return Skip(path, "corrupt member (bad local header)", SkipKind.CORRUPT)
    if isinstance(exc, UnicodeDecodeError):
        return Skip(path, "corrupt member (name marked UTF-8 is not valid UTF-8)", SkipKind.CORRUPT)
    if isinstance(exc, EOFError):
        return Skip(path, "corrupt member (truncated data)", SkipKind.CORRUPT)
    if isinstance(exc, RuntimeError) and "encrypted" in message:
        return Skip(path, "encrypted member", SkipKind.ENCRYPTED)
    if isinstance(exc, NotImplementedError):
        return Skip(path, f"unsupported ZIP feature ({display_path(message)[:80]})", SkipKind.UNSUPPORTED)
    return Skip(path, "corrupt member (bad compressed data)", SkipKind.CORRUPT)


class _ZipMember:
    """Pre-read decision for one member: a Skip, None (ignore silently) or a plan to read."""

    __slots__ = ("info", "language", "path")

    def __init__(self, info: zipfile.ZipInfo, path: str, language: str | None):
        self.info, self.path, self.language = info, path, language


def _plan_zip(
    zf: zipfile.ZipFile, filters: PathFilter, limits: Limits, report: Callable[[Skip], None]
) -> Iterator[_ZipMember | Skip]:
    """Every member's pre-read decision, in archive order; folder skips are reported directly."""
    infos = zf.infolist()
    overlapping = _overlapping_members(infos)
    dirs = _DirVerdicts(filters, limits, report)
    seen: set[str] = set()
    for index, info in enumerate(infos):
        if index >= limits.max_members:
            yield Skip(display_path(info.filename),
                       f"member limit reached ({limits.max_members:,}); {len(infos) - index:,} members not read",
                       SkipKind.MEMBER_LIMIT)
            return
        raw = info.filename
        parts, unsafe = _member_parts(raw)
        if unsafe is not None:
            yield Skip(display_path(raw), unsafe, SkipKind.UNSAFE_PATH)
            continue
        if not parts or raw.endswith(("/", "\\")):
            continue  # a directory entry: nothing to read
        if dirs.skipped(parts[:-1]):
            continue
        path = "/".join(parts)
        if path in seen:
            yield Skip(path, "duplicate member name", SkipKind.DUPLICATE)
            continue
        seen.add(path)
        if stat.S_ISLNK(info.external_attr >> 16):
            yield Skip(path, "symlink", SkipKind.SYMLINK)
            continue
        language, skip = _file_skip(parts, filters)
        if skip is not None:
            yield skip
            continue
        if info.flag_bits & 0x1:
            yield Skip(path, "encrypted member", SkipKind.ENCRYPTED)
        elif index in overlapping:
            yield Skip(path, "zip bomb: overlapping members", SkipKind.ZIP_BOMB)
        elif info.compress_type not in _SUPPORTED_METHODS:
            yield Skip(path, f"unsupported compression method ({info.compress_type})", SkipKind.UNSUPPORTED)
        elif (info.compress_type != zipfile.ZIP_STORED and info.file_size > _RATIO_FLOOR
              and info.file_size > limits.max_ratio * max(info.compress_size, 1)):
            ratio = info.file_size / max(info.compress_size, 1)
            yield Skip(path, f"zip bomb: compression ratio {ratio:,.0f}:1 > {limits.max_ratio:g}:1",
                       SkipKind.ZIP_BOMB)
        elif info.file_size > limits.max_file_bytes:
            yield Skip(path, f"too large ({format_bytes(info.file_size)} > {format_bytes(limits.max_file_bytes)})",
                       SkipKind.TOO_LARGE)
        else:
            yield _ZipMember(info, path, language)


def _open_zip(path: Path, limits: Limits) -> tuple[zipfile.ZipFile, BinaryIO]:
    """Open and index an archive, or raise InputError saying why it cannot be read."""
    shown = display_path(str(path))
    hint = ("if it was downloaded or copied it may be truncated; re-create it "
            "(for example `zip -r code.zip DIR`) or scan the directory instead")
    try:
        fp = open(path, "rb")  # noqa: SIM115 - closed with the ZipFile by the generator
    except OSError as exc:
        raise InputError(f"cannot open {shown}: {exc.strerror or exc}", "check the path and its permissions") from exc
    try:
        end_record = _end_record(fp)
        if end_record is None:
            if path.suffix.lower() == ".zip":
                raise InputError(f"{shown} is not a readable ZIP archive (no end-of-archive record: "
                                 "not a ZIP file, or truncated)", hint)
            raise InputError(f"{shown} is neither a directory nor a ZIP archive",
                             "aegis scan takes a directory or a .zip file")
        declared = end_record[4]  # total entries (zipfile._ECD_ENTRIES_TOTAL)
        if declared > limits.max_members:
            raise InputError(f"{shown} declares {declared:,} members, more than the limit of {limits.max_members:,}",
                             "split the archive or scan an extracted directory")
        try:
            try:
                zf = zipfile.ZipFile(fp)
            except UnicodeDecodeError:
                # One name flagged UTF-8 is not: read the directory again with that flag
                # cleared (cp437 names), so only that member is refused, not the archive.
                fp.seek(0)
                repair = _NameFlagRepair(fp, end_record[5])  # size of the central directory
                zf = zipfile.ZipFile(repair)  # type: ignore[call-overload]
                repair.armed = False
        except Exception as exc:  # zipfile raises many types on hostile bytes; all mean "unreadable"
            raise InputError(f"{shown} is not a readable ZIP archive ({_archive_error(exc)})", hint) from exc
    except BaseException:
        fp.close()
        raise
    return zf, fp


class _NameFlagRepair:
    """A file wrapper that clears the UTF-8 flag of invalid UTF-8 names in the one read
    zipfile makes of the whole central directory; everything else passes through."""

    def __init__(self, fp: BinaryIO, size_cd: int):
        self._fp, self._size_cd, self.armed = fp, size_cd, True

    def __getattr__(self, name: str) -> object:  # seekable(), name, ...
        return getattr(self._fp, name)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._fp.seek(offset, whence)

    def tell(self) -> int:
        return self._fp.tell()

    def read(self, n: int = -1) -> bytes:
        data = self._fp.read(n)
        if not (self.armed and n == self._size_cd):
            return data
        self.armed = False
        fixed = bytearray(data)
        pos = 0
        while pos + 46 <= len(fixed) and fixed[pos : pos + 4] == b"PK\x01\x02":
            flags = int.from_bytes(fixed[pos + 8 : pos + 10], "little")
            n_name, n_extra, n_comment = (int.from_bytes(fixed[pos + k : pos + k + 2], "little") for k in (28, 30, 32))
            if flags & 0x800:
                try:
                    bytes(fixed[pos + 46 : pos + 46 + n_name]).decode("utf-8")
                except UnicodeDecodeError:
                    fixed[pos + 8 : pos + 10] = (flags & ~0x800).to_bytes(2, "little")
            pos += 46 + n_name + n_extra + n_comment
        return bytes(fixed)


def _end_record(fp: BinaryIO) -> list[int] | None:
    """zipfile's own end-of-archive record reader (private but unchanged for decades)."""
    find = getattr(zipfile, "_EndRecData", None)
    if find is None:  # a future Python without it: let ZipFile decide, skip the early count check
        return [0] * 10
    try:
        record: list[int] | None = find(fp)
        return record
    except Exception:
        return None


def _archive_error(exc: BaseException) -> str:
    message = str(exc)
    if isinstance(exc, zipfile.BadZipFile):
        if "central directory" in message.lower():
            return "corrupt central directory"
        if "truncated" in message.lower():
            return "truncated central directory"
    if isinstance(exc, (EOFError, OSError)):
        return "truncated or unreadable"
    return f"corrupt central directory: {type(exc).__name__}"


def _iter_zip(
    zf: zipfile.ZipFile, fp: BinaryIO, filters: PathFilter, limits: Limits, report: Callable[[Skip], None]
) -> Iterator[SourceFile]:
    budget = _Budget(limits.max_total_bytes)
    try:
        for item in _plan_zip(zf, filters, limits, report):
            if isinstance(item, Skip):
                report(item)
                continue
            info, path = item.info, item.path
            if info.file_size > budget.left:
                report(_total_limit_skip(path, budget))
                continue
            try:
                with zf.open(info) as member:
                    result = _read_bounded(member.read, path, limits, budget, _shebang_check(path, item.language),
                                           compressed_size=info.compress_size if info.compress_type else None,
                                           declared_size=info.file_size)
            except Exception as exc:  # any failure inside one member is that member's problem only
                report(_read_error_skip(path, exc))
                continue
            if isinstance(result, Skip):
                report(result)
                continue
            source = _to_source(path, result[0], result[1], limits)
            del result
            if isinstance(source, Skip):
                report(source)
            else:
                yield source
    finally:
        zf.close()
        fp.close()


# ---------------------------------------------------------------------------- directories


def _walk(
    root: Path, filters: PathFilter, limits: Limits, report: Callable[[Skip], None]
) -> Iterator[tuple[list[str], str]]:
    """(display components, absolute path) of every regular file, in sorted order.

    Symlinks are never followed; folders are pruned (vendored, excluded, too deep) before
    being listed, so a node_modules with a million files costs one skip.
    """

    def listing(directory: str, shown: str) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(directory) as entries:
                return sorted(entries, key=lambda e: e.name)
        except OSError as exc:
            if not shown:
                raise InputError(f"cannot read directory {display_path(str(root))}: {exc.strerror or exc}",
                                 "check its permissions") from exc
            report(Skip(shown + "/", f"unreadable folder ({exc.strerror or type(exc).__name__})",
                        SkipKind.UNREADABLE))
            return []

    stack: list[tuple[list[str], Iterator[os.DirEntry[str]]]] = [([], iter(listing(str(root), "")))]
    while stack:
        parent, entries = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        parts = [*parent, display_path(entry.name)]
        shown = "/".join(parts)
        try:
            if entry.is_symlink():
                report(Skip(shown, "symlink (not followed)", SkipKind.SYMLINK))
            elif entry.is_dir(follow_symlinks=False):
                skip = _dir_skip(parts, filters, limits)
                if skip is not None:
                    report(skip)
                else:
                    stack.append((parts, iter(listing(entry.path, shown))))
            elif entry.is_file(follow_symlinks=False):
                yield parts, entry.path
            else:
                report(Skip(shown, "not a regular file (device, FIFO or socket)", SkipKind.SPECIAL_FILE))
        except OSError as exc:
            report(Skip(shown, f"unreadable ({exc.strerror or type(exc).__name__})", SkipKind.UNREADABLE))


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def _read_file(
    abs_path: str, path: str, language: str | None, limits: Limits, budget: _Budget
) -> tuple[bytearray, str] | Skip:
    """Open without following links (the entry may have changed since it was listed) and read."""
    try:
        fd = os.open(abs_path, _OPEN_FLAGS)
    except OSError as exc:
        if getattr(os, "O_NOFOLLOW", 0) and os.path.islink(abs_path):
            return Skip(path, "symlink (not followed)", SkipKind.SYMLINK)
        return Skip(path, f"unreadable ({exc.strerror or type(exc).__name__})", SkipKind.UNREADABLE)
    with os.fdopen(fd, "rb", buffering=0) as handle:
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                return Skip(path, "not a regular file (device, FIFO or socket)", SkipKind.SPECIAL_FILE)
            if info.st_size > limits.max_file_bytes:
                return Skip(path, f"too large ({format_bytes(info.st_size)} > {format_bytes(limits.max_file_bytes)})",
                            SkipKind.TOO_LARGE)
            if info.st_size > budget.left:
                return _total_limit_skip(path, budget)
            return _read_bounded(handle.read, path, limits, budget, _shebang_check(path, language))
        except OSError as exc:
            return Skip(path, f"unreadable ({exc.strerror or type(exc).__name__})", SkipKind.UNREADABLE)


def _plan_dir(
    root: Path, filters: PathFilter, limits: Limits, report: Callable[[Skip], None]
) -> Iterator[tuple[str, str, str | None]]:
    """(relative path, absolute path, language or None) of the files worth reading."""
    for count, (parts, abs_path) in enumerate(_walk(root, filters, limits, report), start=1):
        if count > limits.max_members:
            report(Skip("/".join(parts), f"member limit reached ({limits.max_members:,}); "
                                         "the rest of the folder was not read", SkipKind.MEMBER_LIMIT))
            return
        language, skip = _file_skip(parts, filters)
        if skip is not None:
            report(skip)
        else:
            yield "/".join(parts), abs_path, language


def _iter_dir(root: Path, filters: PathFilter, limits: Limits, report: Callable[[Skip], None]) -> Iterator[SourceFile]:
    budget = _Budget(limits.max_total_bytes)
    for path, abs_path, language in _plan_dir(root, filters, limits, report):
        result = _read_file(abs_path, path, language, limits, budget)
        if isinstance(result, Skip):
            report(result)
            continue
        source = _to_source(path, result[0], result[1], limits)
        del result
        if isinstance(source, Skip):
            report(source)
        else:
            yield source


# ---------------------------------------------------------------------------- public API


def _resolve(target: str | Path) -> tuple[str, Path]:
    path = Path(target)
    shown = display_path(str(target))
    try:
        if path.is_dir():
            with os.scandir(path):  # unreadable: say so now, not halfway through a scan
                return "dir", path
        if path.is_file():
            return "zip", path
        exists = path.exists() or path.is_symlink()
    except OSError as exc:
        raise InputError(f"cannot read scan target {shown}: {exc.strerror or exc}", "check its permissions") from exc
    if exists:
        raise InputError(f"{shown} is neither a directory nor a ZIP archive", "aegis scan takes a directory or a .zip file")
    raise InputError(f"scan target not found: {shown}", "pass an existing directory or .zip file")


def iter_sources(
    target: str | Path,
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    limits: Limits = Limits(),
    on_skip: Callable[[Skip], None] | None = None,
    shard: tuple[int, int] | None = None,
) -> Iterator[SourceFile]:
    """Yield every scannable source file of a directory or ZIP archive, one at a time.

    The target is checked (and a ZIP's directory read) before this returns, so an
    unreadable target raises :class:`InputError` here, not in the middle of a scan.
    Every file or folder left out is passed to ``on_skip`` with its reason.
    ``shard=(i, n)`` yields only the files of shard i of n (by a hash of the path; a
    multi-device scan runs one shard per device); files of other shards are not skips.
    """
    kind, path = _resolve(target)
    filters = PathFilter(include, exclude, shard)
    report = _unless_other_shard(on_skip) if on_skip is not None else _ignore
    if kind == "dir":
        return _iter_dir(path, filters, limits, report)
    zf, fp = _open_zip(path, limits)
    return _iter_zip(zf, fp, filters, limits, report)


def count_candidates(
    target: str | Path,
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    limits: Limits = Limits(),
    shard: tuple[int, int] | None = None,
) -> int | None:
    """How many files may be scanned (for progress totals), from names and headers alone.

    Reads no file contents; an upper bound, since reading can still skip a file (binary,
    minified, corrupt). Returns None when it cannot tell; raises InputError like
    :func:`iter_sources` for an unreadable target.
    """
    kind, path = _resolve(target)
    filters = PathFilter(include, exclude, shard)
    if kind == "dir":
        return sum(1 for _ in _plan_dir(path, filters, limits, _ignore))
    zf, fp = _open_zip(path, limits)
    try:
        return sum(1 for item in _plan_zip(zf, filters, limits, _ignore) if isinstance(item, _ZipMember))
    except Exception:  # counting is a courtesy: never fail a scan over it
        return None
    finally:
        zf.close()
        fp.close()


def _ignore(_skip: Skip) -> None:
    pass


def _unless_other_shard(report: Callable[[Skip], None]) -> Callable[[Skip], None]:
    def forward(skip: Skip) -> None:
        if skip.kind != SkipKind.OTHER_SHARD:
            report(skip)

    return forward

