"""The one atomic write: all or nothing, and the only `os.replace` of the library."""

import json
import pathlib
import re

import pytest

import infodl
from infodl.run_folder.atomic import (
    atomic_write,
    partial_path,
    write_bytes_atomic,
    write_json_atomic,
    write_text_atomic,
)

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_a_writer_that_raises_midway_leaves_the_old_file_and_no_partial(tmp_path):
    path = tmp_path / "results.json"
    write_json_atomic(path, {"step": 1})
    with pytest.raises(RuntimeError, match="disk full"):
        with atomic_write(path) as partial:
            with open(partial, "w") as handle:
                handle.write('{"step": 2, "acc')  # half of the new content
            raise RuntimeError("disk full")
    assert json.loads(path.read_text()) == {"step": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


def test_a_folder_is_replaced_whole_and_a_stale_partial_is_cleared(tmp_path):
    target = tmp_path / "ckpt-001"
    stale = pathlib.Path(partial_path(target))
    stale.mkdir()
    (stale / "junk").write_text("left by a SIGKILL")
    for content in ("first", "second"):
        with atomic_write(target) as partial:
            pathlib.Path(partial).mkdir()
            (pathlib.Path(partial) / "state").write_text(content)
    assert sorted(p.name for p in target.iterdir()) == ["state"]
    assert (target / "state").read_text() == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt-001"]


def test_text_bytes_and_json_round_trip_and_a_writer_that_writes_nothing_fails(tmp_path):
    write_text_atomic(tmp_path / "a.txt", "é\n")
    write_bytes_atomic(tmp_path / "b.bin", b"\x00\xff")
    write_json_atomic(tmp_path / "sub" / "c.json", {"b": 2, "a": [1.5]})
    assert (tmp_path / "a.txt").read_bytes() == "é\n".encode()
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\xff"
    assert (tmp_path / "sub" / "c.json").read_text() == '{\n  "a": [\n    1.5\n  ],\n  "b": 2\n}\n'
    with pytest.raises(FileNotFoundError, match="wrote nothing"):
        with atomic_write(tmp_path / "d.txt"):
            pass
    assert not (tmp_path / "d.txt").exists()
    assert partial_path(tmp_path / "x.keras") == str(tmp_path / ".partial-x.keras")


def test_the_library_replaces_files_only_through_the_helper():
    # The six former copies (event files, both checkpoint formats, the run-folder guard,
    # the epoch log, the IB model file) now call `atomic_write`.
    found = []
    for folder in ("infodl",) + tuple(infodl.PACKAGES):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if re.search(r"\bos\.(replace|rename)\(", line):
                    found.append(f"{path.relative_to(ROOT)}:{number}")
    assert len(found) == 1 and found[0].startswith("infodl/run_folder/atomic.py:"), found
