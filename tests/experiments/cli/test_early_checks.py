"""User errors a run can check cheaply end in one line before TensorFlow is imported,
leaving the run folder as it was (issue 18, points 3-5)."""

import os
import pathlib
import subprocess
import sys

import pytest

from infodl.data.subset import check_subset_size, smallest_fraction
from infodl.experiments.cli.early_checks import check_keras_file, check_log_dir

ROOT = pathlib.Path(__file__).resolve().parents[3]
REAL_MNIST = ROOT.parent / "shared" / "data" / "mnist.pkl.gz"
# run.py in a process that reports, on its way out, whether TensorFlow was imported.
WRAPPER = ("import runpy, sys\nsys.argv = ['run.py'] + sys.argv[1:]\ntry:\n"
           "    runpy.run_path('run.py', run_name='__main__')\nfinally:\n"
           "    print('TENSORFLOW_IMPORTED=%s' % ('tensorflow' in sys.modules), file=sys.stderr)\n")


def run_cli(*argv):
    result = subprocess.run([sys.executable, "-c", WRAPPER, *argv], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    return result, errors


def assert_one_line_before_tensorflow(argv, message):
    result, errors = run_cli(*argv)
    assert result.returncode == 1, result.stderr[-2000:]
    assert len(errors) == 1 and message in errors[0], result.stderr[-2000:]
    assert "TENSORFLOW_IMPORTED=False" in result.stderr
    assert "Traceback" not in result.stderr
    return errors[0]


def test_smallest_fraction_holds_every_class():
    for size, classes in ((60000, 10), (1438, 10), (50000, 100), (100, 10)):
        fraction = smallest_fraction(size, classes)
        assert round(size * fraction) >= classes
        assert round(size * fraction * 0.9) < classes or fraction == 1.0
    assert smallest_fraction(60000, 10) == 0.00017  # 10 / 60000 = 0.000166..., rounded up
    assert check_subset_size(60000, 10, 0.00017) == 10
    with pytest.raises(ValueError, match=r"Expected train_fraction >= 0.00017.*Received: "
                                         r"train_fraction=0.0001, 6 example"):
        check_subset_size(60000, 10, 0.0001)


def test_log_dir_checks_create_nothing(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(ValueError, match="which is a file"):
        check_log_dir(str(afile))
    with pytest.raises(ValueError, match="inside .*afile.*which is a file"):
        check_log_dir(str(afile / "run"))
    check_log_dir(str(tmp_path / "new" / "run"))
    assert sorted(os.listdir(tmp_path)) == ["afile"]


def test_keras_file_checks_say_what_the_file_is(tmp_path):
    empty = tmp_path / "model.keras"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match=r"an empty file \(0 bytes\)"):
        check_keras_file(empty)
    empty.write_bytes(os.urandom(1000))
    with pytest.raises(ValueError, match="1000 bytes that are not a Keras model"):
        check_keras_file(empty)


@pytest.mark.parametrize("contents, message", [
    (b"", "an empty file (0 bytes)"),
    (b"\x93random bytes, not a zip" * 40, "bytes that are not a Keras model"),
])
def test_analyze_bad_model_file_is_one_line(tmp_path, contents, message):
    model = tmp_path / "model.keras"
    model.write_bytes(contents)
    assert_one_line_before_tensorflow(["--experiment=analyze", f"--checkpoint={model}"],
                                      message)


def test_too_small_train_fraction_is_one_line_naming_the_smallest(tmp_path):
    log_dir = tmp_path / "run"
    line = assert_one_line_before_tensorflow(
        ["--experiment=ib_layerwise", "--dataset=mnist", "--train_fraction=0.0001",
         f"--log_dir={log_dir}"], "Expected train_fraction >= 0.00017")
    assert "Received: train_fraction=0.0001, 6 example(s)" in line
    assert_one_line_before_tensorflow(
        ["--experiment=ib_end_to_end", "--dataset=digits", "--train_fraction=0.005",
         f"--log_dir={log_dir}"], "Expected train_fraction >= 0.007")
    assert not log_dir.exists()


@pytest.mark.parametrize("kind", ["truncated", "random", "missing", "empty_folder"])
def test_bad_mnist_file_is_one_line_and_creates_nothing(tmp_path, kind):
    data = tmp_path / "mnist.pkl.gz"
    if kind == "truncated":
        if not REAL_MNIST.is_file():
            pytest.skip(f"no {REAL_MNIST} to truncate")
        data.write_bytes(REAL_MNIST.read_bytes()[:2_000_000])
    elif kind == "random":
        data.write_bytes(os.urandom(50_000))
    elif kind == "empty_folder":
        data = tmp_path / "empty"
        data.mkdir()
    message = {"truncated": "Corrupt file", "random": "Corrupt file",
               "missing": "does not exist", "empty_folder": "No mnist files found"}[kind]
    log_dir = tmp_path / "run"
    before = sorted(os.listdir(tmp_path))
    assert_one_line_before_tensorflow(
        ["--experiment=ib_layerwise", "--dataset=mnist", f"--data_dir={data}",
         "--train_fraction=0.01", f"--log_dir={log_dir}"], message)
    assert sorted(os.listdir(tmp_path)) == before


def test_log_dir_that_is_a_file_is_one_line(tmp_path):
    afile = tmp_path / "results.txt"
    afile.write_text("not a folder")
    assert_one_line_before_tensorflow(
        ["--experiment=ib_layerwise", "--dataset=digits", f"--log_dir={afile}"],
        "Expected log_dir to be a folder")
    assert afile.read_text() == "not a folder"


def test_each_config_declares_its_own_early_checks(tmp_path, monkeypatch):
    """The command line calls `config.early_checks()`, which names no experiment: the
    base checks a log_dir it will write, the report (which only reads its folder) none,
    the analysis its checkpoint too, the IB configs their data file too."""
    from infodl.experiments.analyze.config import AnalyzeConfig
    from infodl.experiments.ib.end_to_end_config import IBEndToEndConfig
    from infodl.experiments.resnet.config import ResNetConfig
    from infodl.experiments.sweeps.config import ReportConfig

    monkeypatch.chdir(tmp_path)
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    with pytest.raises(ValueError, match="Expected log_dir to be a folder"):
        ResNetConfig(log_dir=str(a_file)).validate().early_checks()
    assert ReportConfig(log_dir=str(a_file)).validate().early_checks() is None
    with pytest.raises(FileNotFoundError, match="nowhere.keras does not exist"):
        AnalyzeConfig(checkpoint=str(tmp_path / "nowhere.keras")).validate().early_checks()
    (tmp_path / "empty.keras").write_bytes(b"")
    with pytest.raises(ValueError, match="an empty file"):
        AnalyzeConfig(checkpoint=str(tmp_path / "empty.keras")).validate().early_checks()
    (tmp_path / "mnist.pkl.gz").write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises((ValueError, FileNotFoundError), match="mnist.pkl.gz"):
        IBEndToEndConfig(data_dir=str(tmp_path / "mnist.pkl.gz"),
                         log_dir=str(tmp_path / "run")).validate().early_checks()
    assert not (tmp_path / "run").exists() and not (tmp_path / "analysis").exists()
