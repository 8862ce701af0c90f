"""Figures as PNG one way, and no backend chosen by the library (only entry points may)."""

import ast
import pathlib

import numpy as np
import pytest

import infodl
from infodl.analysis.figure_files import figure_to_png_bytes, new_figure, save_figure_png
from infodl.analysis.information_plane_plot import _limits, plot_ib_information_plane

ROOT = pathlib.Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n"


def test_png_bytes_and_file_are_the_same_encoding(tmp_path):
    figure = new_figure((2, 1.5))
    figure.add_subplot(1, 1, 1).plot([0, 1, 2], [2, 0, 1])
    data = figure_to_png_bytes(figure, dpi=50)
    path = save_figure_png(figure, tmp_path / "sub" / "f.png", dpi=50)
    assert data[:8] == PNG and pathlib.Path(path).read_bytes() == data
    assert figure.get_size_inches() * 50 == pytest.approx([100, 75])


def test_the_two_axis_limit_rules():
    assert _limits([0.5, 2.0]) == (0.0, pytest.approx(2.1))  # from 0 to 5 % above the top
    assert _limits([0.5, 2.0], requested=(0, 3)) == (0.0, 3.0)
    assert _limits([1.0, 3.0], margin=0.1) == (pytest.approx(0.8), pytest.approx(3.2))
    with pytest.raises(ValueError, match="low < high"):
        _limits([1.0], requested=(2, 1))


def test_ib_information_plane_frames_every_point_with_its_margin():
    history = {"hidden_1": {"trajectory": [[0, 4.0, 0.5], [100, 2.0, 1.0]], "beta": 0.01},
               "hidden_2": {"trajectory": []}}
    figure = plot_ib_information_plane(history)
    axis = figure.axes[0]
    assert axis.get_title() == "hidden_1 (β = 0.01)"
    assert axis.get_xlim() == pytest.approx((2.0 - 0.24, 4.0 + 0.24))
    assert axis.get_ylim() == pytest.approx((0.5 - 0.06, 1.0 + 0.06))
    assert figure_to_png_bytes(figure)[:8] == PNG
    assert np.isfinite(axis.get_xlim()).all()


def _library_files():
    for folder in ("infodl",) + tuple(infodl.PACKAGES):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.name != "__main__.py":
                yield path


def test_no_library_module_chooses_a_backend_or_uses_pyplot():
    offenders = []
    for path in _library_files():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr == "use" and getattr(node.func.value, "id", "") == "matplotlib":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} matplotlib.use")
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(name.startswith("matplotlib.pyplot") for name in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} pyplot")
    assert offenders == []
