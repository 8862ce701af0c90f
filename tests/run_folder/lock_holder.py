"""A process that holds run-folder locks until killed: the other owner in the lock tests."""

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
HOLD = r"""
import sys, time
from infodl.run_folder.lock import acquire_run_folder
from infodl.run_folder.run_directory import prepare_log_dir
prepare, folders = sys.argv[1] == "prepare", sys.argv[2:]
for folder in folders:
    prepare_log_dir(folder, {"lr": 0.1}) if prepare else acquire_run_folder(folder)
print("locked", flush=True)
time.sleep(600)
"""


def hold_in_another_process(*folders, prepare=False):
    """A started process that holds `folders` (prepared as run folders when `prepare`,
    else only locked) and sleeps; returns once it holds them all."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, "prepare" if prepare else "lock", *map(str, folders)],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "locked"
    return process
