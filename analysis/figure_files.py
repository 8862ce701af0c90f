"""A matplotlib figure as PNG: bytes (for TensorBoard) or a file, one way for every figure.

The figures of this library are drawn with matplotlib's object API on an Agg canvas
(`new_figure`: no pyplot, no global backend change), so they work on headless machines
and inside training callbacks; only an entry point may choose a backend.

Example:
    >>> from infodl.analysis.figure_files import figure_to_png_bytes, new_figure
    >>> figure = new_figure((2, 2))
    >>> _ = figure.add_subplot(1, 1, 1).plot([0, 1], [1, 0])
    >>> figure_to_png_bytes(figure)[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
"""

import io
import os

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def new_figure(figsize):
    """An empty `Figure` of `figsize` inches on its own Agg canvas (no pyplot state)."""
    figure = Figure(figsize=figsize)
    FigureCanvasAgg(figure)
    return figure


def figure_to_png_bytes(figure, dpi=100):
    """The PNG encoding of `figure` as bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def save_figure_png(figure, path, dpi=120):
    """Write `figure` to `path` as PNG (parent folders are created) and return path."""
    path = os.fspath(path)
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    figure.savefig(path, format="png", dpi=dpi)
    return path
