"""A full disk is one line naming the folder, and the run resumes (issue 30, case 8); the
write is made to fail with ENOSPC instead of filling a device."""

import errno
import sys

import pytest

from infodl.experiments.cli import command_line as cli


def test_disk_full_messages():
    python = OSError(errno.ENOSPC, "No space left on device")
    line = cli._disk_full(python, "runs/a")
    assert line.startswith("no space left on the device of runs/a while the run wrote")
    assert "rerun the same command" in line and "\n" not in line
    named = OSError(errno.EDQUOT, "Disk quota exceeded", "runs/a/results.json")
    assert cli._disk_full(named, "runs/a").startswith("no space left on the device of "
                                                     "runs/a/results.json")
    assert cli._disk_full(OSError(errno.EACCES, "Permission denied"), "runs/a") is None
    assert cli._disk_full(ValueError("No space left on device"), "runs/a") is None


@pytest.mark.slow  # one InvNet epoch on the digits in this process: about 20 s
def test_a_full_disk_during_a_run_is_one_line(tmp_path, monkeypatch, capsys):
    """The InvNet run on the 8x8 digits, whose results.json write hits ENOSPC."""
    from infodl.experiments.invnet import experiment as invnet

    def full(path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(invnet, "write_json_atomic", full)
    log_dir = tmp_path / "inv"
    monkeypatch.setattr(sys, "argv", ["run.py", "--experiment=invnet", "--dataset=digits",
                                      "--epochs=1", "--noanalyze", "--verbose=0",
                                      f"--log_dir={log_dir}"])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 1
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert lines[-1] == f"Error: {cli._disk_full(OSError(errno.ENOSPC, ''), str(log_dir))}"
    assert not any("Traceback" in line for line in lines)
    assert list((log_dir / "checkpoints").glob("ckpt-*.keras"))  # the checkpoint is kept
