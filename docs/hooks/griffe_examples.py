"""Griffe extension: the docstrings' `Example:` sections are examples to show as code.

The library's docstrings head their doctests `Example:` (tests/test_docstring_examples.py
runs them); griffe's Google-style parser reads only `Examples:` as an examples section
(and `Example:` as an admonition, where `>>>` lines would become Markdown quotes).
"""

import re

import griffe

HEADING = re.compile(r"^(\s*)Example:[ \t]*$", re.MULTILINE)


class ExampleSections(griffe.Extension):
    """Renames each `Example:` heading of a docstring `Examples:` before it is parsed."""

    def on_instance(self, *, obj, **kwargs):
        if obj.docstring is not None:
            obj.docstring.value = HEADING.sub(r"\1Examples:", obj.docstring.value)
