"""Hostile archives (issue 10): each case is refused with a reason that names it, the good
files around it are still scanned, nothing is written to disk, and memory stays bounded.

Archives are built in the test with zipfile; cases zipfile will not write (encrypted
flags, corrupt CRCs, lying sizes, raw non-UTF-8 names, overlapping members) are made by
editing the bytes of a valid archive at offsets read from its own headers.
"""

from __future__ import annotations

import io
import json
import os
import stat
import struct
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aegis_cli.errors import InputError
from aegis_cli.scan.archive import Limits, Skip, SkipKind, SourceFile, iter_sources
from aegis_cli.scan.languages import LANGUAGES

GOOD_FIRST = {
    "good/app.py": b"import os\n\n\ndef main():\n    return os.system(input())\n",
    "good/web/index.js": b"document.body.innerHTML = location.hash;\n",
}
GOOD_LAST = {"zz/last.go": b"package main\n\nfunc main() {}\n"}
GOOD = {**GOOD_FIRST, **GOOD_LAST}


# ---------------------------------------------------------------------------- building archives

Member = tuple["str | zipfile.ZipInfo", bytes]


def zip_bytes(members: list[Member], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """GOOD_FIRST, the given members, then GOOD_LAST, as one archive."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in [*GOOD_FIRST.items(), *members, *GOOD_LAST.items()]:
            zf.writestr(name, data)
    return buf.getvalue()


def central_entry(data: bytes | bytearray, name: bytes) -> int:
    """Offset of the central-directory header whose raw name is ``name``."""
    pos = 0
    while (pos := data.find(b"PK\x01\x02", pos)) != -1:
        (length,) = struct.unpack_from("<H", data, pos + 28)
        if data[pos + 46 : pos + 46 + length] == name:
            return pos
        pos += 4
    raise KeyError(name)


def local_header(data: bytes | bytearray, name: bytes) -> int:
    (offset,) = struct.unpack_from("<I", data, central_entry(data, name) + 42)
    assert data[offset : offset + 4] == b"PK\x03\x04"
    return offset


def member_data(data: bytes | bytearray, name: bytes) -> int:
    """Offset of the first byte of a member's (compressed) data."""
    offset = local_header(data, name)
    name_len, extra_len = struct.unpack_from("<HH", data, offset + 26)
    return offset + 30 + name_len + extra_len


# ---------------------------------------------------------------------------- scanning in a sandbox


@dataclass
class Scan:
    files: dict[str, SourceFile]
    skips: list[Skip] = field(default_factory=list)

    def reasons(self, path: str) -> list[str]:
        return [s.reason for s in self.skips if s.path == path]


def _tree(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): (p.stat().st_size if p.is_file() else -1) for p in root.rglob("*")}


class Sandbox:
    """A tmp dir that is also the cwd and the tempfile dir, checked for writes around each scan."""

    def __init__(self, root: Path):
        self.root = root

    def write(self, name: str, data: bytes) -> Path:
        path = self.root / "in" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def scan(self, target: Path, **kwargs) -> Scan:
        before = _tree(self.root)
        result = Scan({})
        for source in iter_sources(target, on_skip=result.skips.append, **kwargs):
            assert source.path not in result.files, f"{source.path} yielded twice"
            result.files[source.path] = source
        assert _tree(self.root) == before, "the scan wrote to disk"
        assert os.listdir(self.root / "cwd") == [] and os.listdir(self.root / "tmp") == []
        for source in result.files.values():  # whatever was yielded is printable and safe
            assert source.path.isprintable() and ".." not in source.path.split("/")
            assert not source.path.startswith("/") and "\x00" not in source.text
        return result

    def scan_zip(self, members: list[Member], compression: int = zipfile.ZIP_DEFLATED, **kwargs) -> Scan:
        return self.scan(self.write("hostile.zip", zip_bytes(members, compression)), **kwargs)

    def fails(self, target: Path, **kwargs) -> InputError:
        before = _tree(self.root)
        with pytest.raises(InputError) as info:
            list(iter_sources(target, **kwargs))
        assert _tree(self.root) == before
        assert info.value.exit_code == 2 and info.value.hint
        return info.value


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    for sub in ("cwd", "tmp", "in"):
        (tmp_path / sub).mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    return Sandbox(tmp_path)


def assert_good_files_scanned(result: Scan, good: dict[str, bytes] = GOOD) -> None:
    for path, data in good.items():
        assert path in result.files, f"good file {path} was not scanned"
        assert result.files[path].text == data.decode()


# ---------------------------------------------------------------------------- path attacks


def test_path_traversal_members_are_refused(sandbox: Sandbox) -> None:
    result = sandbox.scan_zip([
        ("../evil.py", b"import os\n"),
        ("good/../../evil2.py", b"x\n"),
        ("..\\..\\evil3.py", b"x\n"),
        ("a/b/../c.py", b"x\n"),  # stays inside, but still a traversal component: refused
    ])
    assert_good_files_scanned(result)
    assert set(result.files) == set(GOOD)
    assert result.skips == [
        Skip("../evil.py", "path traversal (../)", SkipKind.UNSAFE_PATH),
        Skip("good/../../evil2.py", "path traversal (../)", SkipKind.UNSAFE_PATH),
        Skip("..\\..\\evil3.py", "path traversal (../)", SkipKind.UNSAFE_PATH),
        Skip("a/b/../c.py", "path traversal (../)", SkipKind.UNSAFE_PATH),
    ]
    assert not (sandbox.root / "evil.py").exists() and not (sandbox.root / "in" / "evil.py").exists()


def test_absolute_paths_are_refused(sandbox: Sandbox) -> None:
    names = ["/etc/cron.d/evil.sh", "C:\\Windows\\evil.py", "c:/evil.py", "\\\\server\\share\\evil.py", "D:evil.py"]
    result = sandbox.scan_zip([(n, b"x = 1\n") for n in names])
    assert_good_files_scanned(result)
    assert set(result.files) == set(GOOD)
    assert result.skips == [Skip(n, "absolute path", SkipKind.UNSAFE_PATH) for n in names]


def test_symlink_members_are_refused(sandbox: Sandbox) -> None:
    link = zipfile.ZipInfo("config.py")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    dir_link = zipfile.ZipInfo("lib")
    dir_link.create_system = 3
    dir_link.external_attr = (stat.S_IFLNK | 0o777) << 16
    # the classic two-step: a symlink, then a file written "through" it under the same name
    shadow = zipfile.ZipInfo("config.py")
    with pytest.warns(UserWarning, match="Duplicate name"):
        result = sandbox.scan_zip([(link, b"/etc/passwd"), (dir_link, b"../../"), (shadow, b"x = 1\n")])
    assert_good_files_scanned(result)
    assert set(result.files) == set(GOOD)
    assert result.skips == [
        Skip("config.py", "symlink", SkipKind.SYMLINK),
        Skip("lib", "symlink", SkipKind.SYMLINK),
        Skip("config.py", "duplicate member name", SkipKind.DUPLICATE),
    ]


def test_symlinks_in_a_directory_target_are_not_followed(sandbox: Sandbox) -> None:
    root = sandbox.root / "in" / "repo"
    for path, data in GOOD.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    (root / "etc").symlink_to("/etc", target_is_directory=True)
    (root / "passwd.sh").symlink_to("/etc/passwd")
    result = sandbox.scan(root)
    assert_good_files_scanned(result)
    assert set(result.files) == set(GOOD)
    assert result.skips == [
        Skip("etc", "symlink (not followed)", SkipKind.SYMLINK),
        Skip("passwd.sh", "symlink (not followed)", SkipKind.SYMLINK),
    ]


def test_very_deep_paths_are_cut_at_the_depth_limit(sandbox: Sandbox) -> None:
    at_limit = "d/" * 63 + "ok.py"  # 64 components: allowed
    too_deep = "d/" * 64 + "deep.py"  # 65 components
    abyss = "e/" * 5000 + "abyss.py"
    result = sandbox.scan_zip([(at_limit, b"x = 1\n"), (too_deep, b"x = 2\n"), (abyss, b"x = 3\n")])
    assert_good_files_scanned(result)
    assert set(result.files) == {*GOOD, at_limit}
    assert result.skips == [
        Skip("d/" * 64, "path too deep (more than 64 components)", SkipKind.TOO_DEEP),
        Skip("e/" * 64, "path too deep (more than 64 components)", SkipKind.TOO_DEEP),
    ]


def test_very_deep_directories_on_disk_are_not_descended(sandbox: Sandbox) -> None:
    root = sandbox.root / "in" / "repo"
    deep = root.joinpath(*["d"] * 80)
    deep.mkdir(parents=True)
    (deep / "deep.py").write_bytes(b"x\n")
    (root.joinpath(*["d"] * 63) / "ok.py").write_bytes(b"y = 1\n")
    (root / "app.py").write_bytes(b"z = 1\n")
    result = sandbox.scan(root)
    assert set(result.files) == {"app.py", "d/" * 63 + "ok.py"}
    assert result.skips == [Skip("d/" * 64, "path too deep (more than 64 components)", SkipKind.TOO_DEEP)]


def test_duplicate_member_names_keep_the_first(sandbox: Sandbox) -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):  # zipfile itself frowns on writing these
        result = sandbox.scan_zip([
            ("dup.py", b"first = 1\n"),
            ("dup.py", b"second = 2\n"),
            ("./same.py", b"a = 1\n"),
            ("same.py", b"b = 2\n"),
            ("x//y.py", b"c = 1\n"),
            ("x/./y.py", b"d = 2\n"),
        ])
    assert_good_files_scanned(result)
    assert {p: f.text for p, f in result.files.items() if p not in GOOD} == {
        "dup.py": "first = 1\n", "same.py": "a = 1\n", "x/y.py": "c = 1\n",
    }
    assert result.skips == [
        Skip("dup.py", "duplicate member name", SkipKind.DUPLICATE),
        Skip("same.py", "duplicate member name", SkipKind.DUPLICATE),
        Skip("x/y.py", "duplicate member name", SkipKind.DUPLICATE),
    ]


# ---------------------------------------------------------------------------- bombs and sizes


def test_zip_bomb_by_ratio_is_refused_before_inflating(sandbox: Sandbox) -> None:
    members = [("bomb.py", b"\x00" * 2**20), ("bomb2.js", b" " * (64 * 2**20)), ("small.py", b"x = 1\n")]
    archive = zip_bytes(members)
    infos = {i.filename: i for i in zipfile.ZipFile(io.BytesIO(archive)).infolist()}
    result = sandbox.scan(sandbox.write("bomb.zip", archive))
    assert_good_files_scanned(result)
    assert set(result.files) == {*GOOD, "small.py"}
    expected = []
    for name in ("bomb.py", "bomb2.js"):
        ratio = infos[name].file_size / infos[name].compress_size
        assert ratio > 200
        expected.append(Skip(name, f"zip bomb: compression ratio {ratio:,.0f}:1 > 200:1", SkipKind.ZIP_BOMB))
    assert result.skips == expected


def test_lying_header_sizes_never_produce_more_than_declared(sandbox: Sandbox) -> None:
    # bomb.py inflates to 1 MiB but its directory entry claims 100 bytes: reading stops at
    # what was declared and the CRC exposes the lie
    data = bytearray(zip_bytes([("bomb.py", b"A" * 2**20)]))
    struct.pack_into("<I", data, central_entry(data, b"bomb.py") + 24, 100)
    result = sandbox.scan(sandbox.write("liar.zip", bytes(data)))
    assert_good_files_scanned(result)
    assert result.skips == [Skip("bomb.py", "CRC mismatch (corrupt member)", SkipKind.CORRUPT)]


def test_overlapping_members_are_refused(sandbox: Sandbox) -> None:
    # a quoted-overlap bomb: one member's data range is stretched over the next member's header
    data = bytearray(zip_bytes([("a.py", b"a = 1\n"), ("b.py", b"b = 2\n")], zipfile.ZIP_STORED))
    span = local_header(data, b"b.py") + 200 - member_data(data, b"a.py")
    struct.pack_into("<I", data, central_entry(data, b"a.py") + 20, span)
    result = sandbox.scan(sandbox.write("overlap.zip", bytes(data)))
    assert_good_files_scanned(result)
    assert "b.py" in result.files
    assert result.skips == [Skip("a.py", "zip bomb: overlapping members", SkipKind.ZIP_BOMB)]


def test_total_uncompressed_budget_stops_reading(sandbox: Sandbox) -> None:
    chunk = b"".join(f"value_{i} = {i * 7919 % 1000}\n".encode() for i in range(200))[:3000]
    assert len(chunk) == 3000
    limits = Limits(max_total_bytes=7 * 1024)  # the good files and two parts fit, a third does not
    assert sum(len(v) for v in GOOD.values()) + 2 * 3000 < limits.max_total_bytes < 3 * 3000
    result = sandbox.scan_zip([(f"part{i}.py", chunk) for i in range(5)], limits=limits)
    assert_good_files_scanned(result)  # the small last file still fits in what is left
    assert set(result.files) == {*GOOD, "part0.py", "part1.py"}
    reason = "total uncompressed size limit (7 KiB) reached"
    assert result.skips == [Skip(p, reason, SkipKind.TOTAL_LIMIT) for p in ("part2.py", "part3.py", "part4.py")]


def test_one_huge_member_is_not_read(sandbox: Sandbox) -> None:
    huge = (b"x = 'padding'\n" * 240_000)[: int(3.1 * 2**20)]
    result = sandbox.scan_zip([("huge.py", huge)], zipfile.ZIP_STORED)
    assert_good_files_scanned(result)
    assert result.skips == [Skip("huge.py", "too large (3.1 MiB > 2 MiB)", SkipKind.TOO_LARGE)]
    # and the same with the per-file limit lowered, as --max-file-bytes would
    result = sandbox.scan_zip([("huge.py", huge)], zipfile.ZIP_STORED, limits=Limits(max_file_bytes=2**20))
    assert result.skips == [Skip("huge.py", "too large (3.1 MiB > 1 MiB)", SkipKind.TOO_LARGE)]


def test_a_hundred_thousand_tiny_members_stream_in_bounded_memory(sandbox: Sandbox) -> None:
    body = "".join(f"value_{k} = compute({k}, 'abc')  # step {k}\n" for k in range(25))
    target = sandbox.root / "in" / "many.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for i in range(100_000):
            if i % 100 == 0:
                zf.writestr(f"docs/note{i}.md", "note\n")
            else:
                zf.writestr(f"pkg{i % 100}/mod_{i}.py", f"# module {i}\n{body}")
    # A fresh interpreter, so its peak RSS is this scan's alone. Keeping every file would
    # cost ~140 MB here; streaming costs the archive index (~20 MB) and one file at a time.
    script = (
        "import json, resource, sys\n"
        "from aegis_cli.scan.archive import iter_sources\n"
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "kinds = {}\n"
        "def on_skip(s): kinds[s.kind] = kinds.get(s.kind, 0) + 1\n"
        "files = total = 0\n"
        "for f in iter_sources(sys.argv[1], on_skip=on_skip):\n"
        "    files += 1; total += f.size\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(json.dumps({'files': files, 'bytes': total, 'skips': kinds, 'growth_mb': (peak - base) / 1024}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(target)], capture_output=True, text=True,
                          timeout=120, cwd=sandbox.root / "cwd", check=True)
    report = json.loads(done.stdout)
    assert report["files"] == 99_000
    assert report["skips"] == {SkipKind.NOT_SOURCE: 1_000}
    assert report["bytes"] == sum(len(f"# module {i}\n{body}") for i in range(100_000) if i % 100)
    assert report["growth_mb"] < 80, report
    assert os.listdir(sandbox.root / "cwd") == []


# ---------------------------------------------------------------------------- damaged archives


def test_encrypted_member_is_skipped(sandbox: Sandbox) -> None:
    data = bytearray(zip_bytes([("secret.py", b"password = 'hunter2'\n")], zipfile.ZIP_STORED))
    for offset in (local_header(data, b"secret.py") + 6, central_entry(data, b"secret.py") + 8):
        (flags,) = struct.unpack_from("<H", data, offset)
        struct.pack_into("<H", data, offset, flags | 0x1)
    assert zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("secret.py").flag_bits & 0x1
    result = sandbox.scan(sandbox.write("enc.zip", bytes(data)))
    assert_good_files_scanned(result)
    assert result.skips == [Skip("secret.py", "encrypted member", SkipKind.ENCRYPTED)]


def test_corrupt_members_are_skipped_and_the_rest_is_read(sandbox: Sandbox) -> None:
    stored = bytearray(zip_bytes([("crc.py", b"value = 'abcdefgh'\n")], zipfile.ZIP_STORED))
    stored[member_data(stored, b"crc.py") + 10] ^= 0xFF  # flip a data byte: the CRC no longer matches
    result = sandbox.scan(sandbox.write("crc.zip", bytes(stored)))
    assert_good_files_scanned(result)
    assert result.skips == [Skip("crc.py", "CRC mismatch (corrupt member)", SkipKind.CORRUPT)]

    deflated = bytearray(zip_bytes([("garbled.py", b"print('x')\n" * 500)]))
    start = member_data(deflated, b"garbled.py")
    deflated[start : start + 16] = b"\xff" * 16  # not a deflate stream any more
    result = sandbox.scan(sandbox.write("garbled.zip", bytes(deflated)))
    assert_good_files_scanned(result)
    assert result.skips == [Skip("garbled.py", "corrupt member (bad compressed data)", SkipKind.CORRUPT)]

    header = bytearray(zip_bytes([("nohdr.py", b"x = 1\n")]))
    header[local_header(header, b"nohdr.py")] = ord("X")  # the local header's magic is gone
    result = sandbox.scan(sandbox.write("nohdr.zip", bytes(header)))
    assert_good_files_scanned(result)
    assert result.skips == [Skip("nohdr.py", "corrupt member (bad local header)", SkipKind.CORRUPT)]


def test_unsupported_compression_method_is_skipped(sandbox: Sandbox) -> None:
    data = bytearray(zip_bytes([("aes.py", b"x = 1\n")], zipfile.ZIP_STORED))
    for offset in (local_header(data, b"aes.py") + 8, central_entry(data, b"aes.py") + 10):
        struct.pack_into("<H", data, offset, 99)  # the WinZip AES method
    result = sandbox.scan(sandbox.write("aes.zip", bytes(data)))
    assert_good_files_scanned(result)
    assert result.skips == [Skip("aes.py", "unsupported compression method (99)", SkipKind.UNSUPPORTED)]


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.99], ids=["half", "90pct", "last-bytes-missing"])
def test_truncated_archive_is_an_input_error(sandbox: Sandbox, keep: float) -> None:
    archive = zip_bytes([("a.py", b"x = 1\n" * 200)])
    target = sandbox.write("cut.zip", archive[: int(len(archive) * keep)])
    error = sandbox.fails(target)
    assert error.message.startswith(f"{target} is not a readable ZIP archive")
    assert "truncated" in error.message and "truncated" in (error.hint or "")


def test_damaged_central_directory_is_an_input_error(sandbox: Sandbox) -> None:
    data = bytearray(zip_bytes([]))
    data[central_entry(data, b"good/app.py")] = ord("X")
    error = sandbox.fails(sandbox.write("cd.zip", bytes(data)))
    assert "corrupt central directory" in error.message


@pytest.mark.parametrize(
    "content",
    [b"", b"just some text, not an archive\n", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, b"PK\x03\x04" + b"\x00" * 10],
    ids=["empty", "text", "png", "zip-magic-only"],
)
def test_non_zip_file_named_zip_is_an_input_error(sandbox: Sandbox, content: bytes) -> None:
    target = sandbox.write("fake.zip", content)
    error = sandbox.fails(target)
    assert error.message == (f"{target} is not a readable ZIP archive "
                             "(no end-of-archive record: not a ZIP file, or truncated)")


def test_nested_archives_are_not_opened(sandbox: Sandbox) -> None:
    inner = zip_bytes([("inner_evil.py", b"x = 1\n")])
    result = sandbox.scan_zip([
        ("deps/inner.zip", inner),
        ("libs/lib.jar", inner),
        ("dist.tar.gz", b"\x1f\x8b\x08\x00" + b"\x00" * 20),
        ("sneaky.py", inner),  # an archive under a source name: caught as binary
    ])
    assert_good_files_scanned(result)
    assert set(result.files) == set(GOOD)
    assert result.skips == [
        Skip("deps/inner.zip", "nested archive (not scanned)", SkipKind.NESTED_ARCHIVE),
        Skip("libs/lib.jar", "nested archive (not scanned)", SkipKind.NESTED_ARCHIVE),
        Skip("dist.tar.gz", "nested archive (not scanned)", SkipKind.NESTED_ARCHIVE),
        Skip("sneaky.py", "binary (NUL bytes)", SkipKind.BINARY),
    ]


# ---------------------------------------------------------------------------- names and contents


def test_non_utf8_and_control_character_names(sandbox: Sandbox) -> None:
    data = zip_bytes([
        ("cafX.py", b"a = 1\n"),  # renamed below to raw latin-1 bytes, no UTF-8 flag (read as cp437)
        ("bad\u00e9.py", b"b = 2\n"),  # UTF-8 flagged; renamed below to bytes that are not UTF-8
        ("evil\x1b]0;pwned\x07.py", b"c = 3\n"),  # terminal escape sequence in the name
        ("rtl\u202eyp.sh", b"echo hi\n"),  # right-to-left override
    ])
    data = data.replace(b"cafX.py", b"caf\xe9.py").replace("bad\u00e9.py".encode(), b"bad\xff\xfe.py")
    result = sandbox.scan(sandbox.write("names.zip", data))
    assert_good_files_scanned(result)
    assert {p: f.text for p, f in result.files.items() if p not in GOOD} == {
        "caf\u0398.py": "a = 1\n",  # cp437 0xE9 is a printable Theta
        "evil\\x1b]0;pwned\\x07.py": "c = 3\n",
        "rtl\\u202eyp.sh": "echo hi\n",
    }
    # zipfile cannot open a member whose local name is flagged UTF-8 and is not: that one is
    # skipped under a printable name; the archive as a whole is still read
    assert result.skips == [
        Skip("bad\\xa0\u25a0.py", "corrupt member (name marked UTF-8 is not valid UTF-8)", SkipKind.CORRUPT)
    ]


def test_non_utf8_contents_are_decoded_as_latin1_and_flagged(sandbox: Sandbox) -> None:
    result = sandbox.scan_zip([
        ("latin.py", "name = 'Jos\u00e9 M\u00fcller'\n".encode("latin-1")),
        ("cp1252.js", b"var q = \x93quoted\x94;\n"),
        ("mixed.c", b"/* \xc3\xa9 then \xe9 */\n"),  # partly UTF-8: the whole file is latin-1, nothing dropped
    ])
    assert_good_files_scanned(result)
    assert result.skips == []
    assert result.files["latin.py"].text == "name = 'Jos\u00e9 M\u00fcller'\n"
    assert result.files["cp1252.js"].text == "var q = \x93quoted\x94;\n"
    assert result.files["mixed.c"].text == "/* \u00c3\u00a9 then \u00e9 */\n"
    for name in ("latin.py", "cp1252.js", "mixed.c"):
        assert (result.files[name].encoding, result.files[name].flags) == ("latin-1", ("decoded-latin-1",))
    for name in GOOD:
        assert result.files[name].flags == ()


def test_nul_bytes_mark_a_file_binary(sandbox: Sandbox) -> None:
    result = sandbox.scan_zip([
        ("start.py", b"\x00\x01\x02ELF"),
        ("middle.js", b"var a = 1;\x00var b = 2;\n"),
        ("late.py", b"x = 1\n" * 3000 + b"\x00"),  # beyond the first 8 KiB
    ])
    assert_good_files_scanned(result)
    assert result.skips == [Skip(n, "binary (NUL bytes)", SkipKind.BINARY) for n in ("start.py", "middle.js", "late.py")]


def test_one_megabyte_single_line_is_skipped_as_minified(sandbox: Sandbox) -> None:
    line = b"var a=" + b"1+" * (2**19 - 4) + b"1;"
    assert len(line) == 2**20
    # stored: deflated, this repetitive line would be refused earlier as a 1000:1 zip bomb
    result = sandbox.scan_zip([("bundle.js", line), ("flat.py", b"x=" + b"0" * (2**20 - 2))], zipfile.ZIP_STORED)
    assert_good_files_scanned(result)
    assert result.skips == [
        Skip("bundle.js", "minified or generated (a line of 1,048,576 chars > 10,000)", SkipKind.MINIFIED),
        Skip("flat.py", "minified or generated (a line of 1,048,576 chars > 10,000)", SkipKind.MINIFIED),
    ]


def test_member_limit_inside_the_archive(sandbox: Sandbox) -> None:
    # the end record understates the member count, so the limit is met while reading
    data = bytearray(zip_bytes([(f"m{i}.py", b"x = 1\n") for i in range(10)]))
    eocd = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, eocd + 8, 3, 3)
    result = sandbox.scan(sandbox.write("count.zip", bytes(data)), limits=Limits(max_members=5))
    assert set(result.files) == {*GOOD_FIRST, "m0.py", "m1.py", "m2.py"}
    assert result.skips == [Skip("m3.py", "member limit reached (5); 8 members not read", SkipKind.MEMBER_LIMIT)]


# ---------------------------------------------------------------------------- fuzzing

FUZZ_LIMITS = Limits(max_file_bytes=4096, max_total_bytes=16_384, max_members=64, max_ratio=50.0, max_depth=6,
                     max_line_chars=500)
KNOWN_LANGUAGES = set(LANGUAGES)


def _check_invariants(target: Path) -> None:
    """Iterate; only InputError may escape, and whatever comes out obeys the limits."""
    total = 0
    skips: list[Skip] = []
    try:
        for source in iter_sources(target, limits=FUZZ_LIMITS, on_skip=skips.append):
            parts = source.path.split("/")
            assert source.path.isprintable() and ".." not in parts and "" not in parts
            assert len(parts) <= FUZZ_LIMITS.max_depth
            assert source.size <= FUZZ_LIMITS.max_file_bytes and "\x00" not in source.text
            assert source.language in KNOWN_LANGUAGES
            total += source.size
    except InputError as error:
        assert error.message and error.hint
        return
    assert total <= FUZZ_LIMITS.max_total_bytes
    assert all(s.path.isprintable() and s.reason and s.kind for s in skips)


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blob=st.binary(max_size=4096))
def test_fuzz_arbitrary_bytes_named_zip(fuzz_dir: Path, blob: bytes) -> None:
    target = fuzz_dir / "blob.zip"
    target.write_bytes(blob)
    _check_invariants(target)


_SEED_ZIP = zip_bytes([("pkg/a.py", b"x = 1\n" * 50), ("b.js", b"let y = 2;\n"), ("c.py", b"z" * 3000)])


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(st.tuples(st.integers(0, len(_SEED_ZIP) - 1), st.integers(0, 255)), min_size=1, max_size=8),
    cut=st.one_of(st.none(), st.integers(0, len(_SEED_ZIP))),
)
def test_fuzz_mutated_archive(fuzz_dir: Path, edits: list[tuple[int, int]], cut: int | None) -> None:
    data = bytearray(_SEED_ZIP)
    for offset, value in edits:
        data[offset] = value
    target = fuzz_dir / "mutated.zip"
    target.write_bytes(bytes(data[:cut] if cut is not None else data))
    _check_invariants(target)


_NAMES = st.lists(
    st.one_of(
        st.sampled_from(["/", "\\", ".", "..", "a", "b", ".py", ".js", "node_modules", "C:", "\x1b", "\u202e"]),
        st.characters(exclude_categories=["Cs"]),
    ),
    max_size=12,
).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(members=st.lists(st.tuples(_NAMES, st.binary(max_size=6000)), max_size=20),
       compression=st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
def test_fuzz_arbitrary_member_names_and_contents(fuzz_dir: Path, members, compression: int) -> None:
    buf = io.BytesIO()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are part of the point
        with zipfile.ZipFile(buf, "w", compression) as zf:
            for name, data in members:
                zf.writestr(zipfile.ZipInfo(name or "_"), data)
    target = fuzz_dir / "members.zip"
    target.write_bytes(buf.getvalue())
    # a well-formed archive is never an input error, whatever its names and contents
    skips: list[Skip] = []
    total = 0
    for source in iter_sources(target, limits=FUZZ_LIMITS, on_skip=skips.append):
        parts = source.path.split("/")
        assert source.path.isprintable() and ".." not in parts and len(parts) <= FUZZ_LIMITS.max_depth
        assert source.size <= FUZZ_LIMITS.max_file_bytes
        total += source.size
    assert total <= FUZZ_LIMITS.max_total_bytes
    assert all(s.path.isprintable() for s in skips)
