"""Every entry point starts: `run.py`, each `python -m infodl.<package>` and each table or
figure command print their flags.

The `__main__` modules and the modules with a `__main__` block are found in the
library's folders, so a new one is tested (and must say here which flags it prints).
Each runs from a folder outside the checkout, the checkout on PYTHONPATH, as a user's
`python -m` would. No library module parses a command line but through absl.
"""

import ast
import os
import pathlib
import subprocess
import sys

import pytest

import infodl

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Command (after `python`) -> flags its --help must list (and one it must not).
EXPECTED = {
    "-m infodl": (("--alpha2", "--model", "--sweep", "--experiment"), "--tsne_layers"),
    "-m infodl.analysis": (("--checkpoint", "--tsne_layers", "--pca_components"), "--alpha2"),
    "-m infodl.experiments.ib.layerwise_table": (("--log_dir", "--share", "--each"), "--seed"),
    "-m infodl.experiments.ib.activation_scale": (("--log_dir", "--data_dir", "--layers"),
                                                  "--each"),
    "-m infodl.experiments.invnet.table": (("--log_dir",), "--data_dir"),
    "-m infodl.experiments.info_plane.compression_table": (
        ("--var_u_path", "--epochs", "--seed", "--log_dir", "--null_draws"), "--alpha2"),
}


def library_files():
    for folder in ("infodl",) + tuple(infodl.PACKAGES):
        yield from sorted((ROOT / folder).rglob("*.py"))


def main_modules():
    """`-m <module>` of every `__main__.py` of the library and every module that runs
    as a script (`if __name__ == "__main__":`)."""
    found = []
    for path in library_files():
        if path.name == "__main__.py":
            parts = list(path.parent.relative_to(ROOT).parts)
        elif 'if __name__ == "__main__":' in path.read_text():
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
        else:
            continue
        found.append("-m " + ".".join(parts if parts[0] == "infodl" else ["infodl"] + parts))
    return found


def test_every_main_module_is_listed():
    assert sorted(main_modules()) == sorted(EXPECTED)


@pytest.mark.parametrize("command", [*EXPECTED, "run.py"])
def test_entry_point_help_prints_its_flags(command, tmp_path):
    shown, hidden = EXPECTED.get(command, (("--alpha2", "--sweep"), "--tsne_layers"))
    argv = [str(ROOT / "run.py")] if command == "run.py" else command.split()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, *argv, "--help"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr and "Error" not in result.stderr, result.stderr[-2000:]
    for flag in shown:
        assert f"  {flag}" in result.stdout or f"  --[no]{flag[2:]}" in result.stdout, flag
    assert hidden not in result.stdout


def test_no_library_module_parses_a_command_line_but_through_absl():
    """No argparse, no picking of arguments out of sys.argv (its program name, or the
    whole command recorded in a lock file, are no parsing): the command-line machinery
    (`infodl.experiments.cli`) and the entry points hand it to absl."""
    offenders = []
    for path in library_files():
        relative = path.relative_to(ROOT)
        if path.name == "__main__.py" or relative.parts[:2] == ("experiments", "cli"):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                if "argparse" in names:
                    offenders.append(f"{relative}:{node.lineno} argparse")
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and \
                    node.value.attr == "argv" and getattr(node.value.value, "id", "") == "sys" \
                    and not (isinstance(node.slice, ast.Constant) and node.slice.value == 0):
                offenders.append(f"{relative}:{node.lineno} {ast.unparse(node)}")
    assert offenders == []


def test_analysis_entry_point_runs_the_analysis_and_refuses_another_experiment(tmp_path):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    missing = f"--checkpoint={tmp_path / 'none.keras'}"
    for args, message in (([missing], "none.keras does not exist"),
                          (["--experiment=resnet"], "--experiment does not apply here")):
        result = subprocess.run([sys.executable, "-m", "infodl.analysis", *args], cwd=tmp_path,
                                env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
        assert result.stderr.strip().splitlines()[-1].startswith("Error: ")
        assert message in result.stderr
