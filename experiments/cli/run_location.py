"""The closing lines of every run of the command line: where it went and how to look at it.

`infodl --model=resnet20 ...` writes `./runs/resnet20` relative to the folder it was
started in; each experiment (and a sweep) ends with that folder, absolute, and the
TensorBoard command for it:

    run folder: /home/me/runs/resnet20
    tensorboard --logdir /home/me/runs/resnet20
"""

import os
import shlex


def run_folder(config, results):
    """The folder a run wrote: its `log_dir`; for `analyze` without one, the analysis
    folder it chose beside the checkpoint (`results["analysis_dir"]`)."""
    folder = getattr(config, "log_dir", None) or results.get("analysis_dir")
    if not folder:
        raise ValueError(f"Expected a log_dir or an analysis_dir. Received: neither for "
                         f"{type(config).__name__}")
    return folder


def closing_lines(folder):
    """The last two lines a run prints: its folder (absolute) and TensorBoard's command."""
    folder = os.path.abspath(os.fspath(folder))
    return [f"run folder: {folder}", f"tensorboard --logdir {shlex.quote(folder)}"]
