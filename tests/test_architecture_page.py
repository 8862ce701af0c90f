"""docs/architecture.md: every `file:function` it names exists (read with `ast`), and each
of the four flags it traces reaches the line that uses it in at most three hops."""

import ast
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "architecture.md"
REFERENCE = re.compile(r"`([\w/]+\.py):([\w.]+)`")
TRACED_FLAGS = ("--alpha2", "--beta", "--critic_steps", "--block_ratio_every")
MAX_HOPS = 3


def _definitions(path):
    """Every function, class and Class.method (nested classes too) defined in a file."""
    names = set()

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                names.add(name)
                visit(child, f"{name}.")
    visit(ast.parse(path.read_text(), filename=str(path)), "")
    return names


def _missing(text, root):
    missing = []
    for file, name in REFERENCE.findall(text):
        path = root / file
        if not path.is_file() or name not in _definitions(path):
            missing.append(f"{file}:{name}")
    return missing


def _hop_rows(text):
    """{flag cell: [hop cells]} of the hop table (columns: flag, config field, hops)."""
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| `--") and len(cells) >= 3:
            rows[cells[0]] = [cell for cell in cells[2:] if cell]
    return rows


def test_every_file_function_on_the_page_exists():
    text = PAGE.read_text()
    assert len(REFERENCE.findall(text)) >= 15
    assert _missing(text, ROOT) == []


def test_each_traced_flag_reaches_its_line_in_at_most_three_hops():
    rows = _hop_rows(PAGE.read_text())
    for flag in TRACED_FLAGS:
        traced = {cell: hops for cell, hops in rows.items() if cell.startswith(f"`{flag}`")}
        assert traced, flag
        for cell, hops in traced.items():
            references = [REFERENCE.findall(hop) for hop in hops]
            assert all(len(found) == 1 for found in references), cell  # one per hop
            assert 1 <= len(hops) <= MAX_HOPS, cell
    assert len([cell for cell in rows if cell.startswith("`--beta`")]) == 2  # both IB runs


@pytest.mark.parametrize("reference", ["`training/ib_iteration.py:IBIterationLoop.nope`",
                                       "`training/no_such_file.py:run`"])
def test_the_check_finds_a_name_that_does_not_exist(reference):
    assert _missing(f"see {reference}", ROOT) == [reference.strip("`")]
