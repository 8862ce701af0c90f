"""The local launcher of a sweep (`--sweep_launcher=local`, the default): every run a
process of this machine, `workers` at a time.

`infodl.experiments.sweeps.plan.run_sweep` plans the sweep, skips the finished runs and calls
`run_locally` with the rest; each run is the command `sweep.run_command()` + its flags,
its output appended to `<log_dir>/logs/<setting>_seed<s>.log`. A run whose folder another
process holds (`infodl.run_folder.lock`) is not started and is filed as busy.

Stopping (`infodl.stop_signals`, the project's one stop mechanism): every run is started
in a session of its own, so Ctrl-C in the terminal (SIGINT to the foreground process
group) reaches the driver only, and with Linux's parent-death signal
(`prctl(PR_SET_PDEATHSIG, SIGTERM)`). The driver's first SIGINT or SIGTERM is forwarded
once to each running run, which saves a checkpoint of its current step and stops; the
driver waits for them, prints per run the checkpoint it finds in the run's folder (or that
none was saved), and exits with 128 + the signal. A driver that dies otherwise (SIGKILL, a
second signal) takes its runs down with it: each receives SIGTERM, saves and stops. A
rerun of the sweep continues. `infodl.experiments.sweeps.ray_launcher` is the same loop with Ray
tasks on a cluster instead of processes here.

Example:
    python run.py --sweep=experiments/sweeps/p2_table2.yaml --sweep_workers=2 \\
        --log_dir=runs/p2_table2

Reference: P2 Tables 1-2 (the grids of runs a sweep runs).
"""

import ctypes
import os
import pathlib
import signal
import subprocess
import sys
import time

from infodl import stop_signals
from infodl.experiments.sweeps import plan as sweep
from infodl.run_folder.lock import describe_holder, run_folder_holder

POLL_SECONDS = 0.5  # how often the running processes are checked
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent():
    """A preexec_fn that makes the child get SIGTERM when its parent dies (Linux), or None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before the fork
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def set_parent_death_signal():
        prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)
    return set_parent_death_signal


def start_run(experiment, run, log):
    """Starts one run's command, output to the open file `log`: in a session of its own,
    with the parent-death signal."""
    return subprocess.Popen(
        [*sweep.run_command(), *sweep.flag_arguments(experiment, run["values"])],
        env=sweep.run_environment(), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True, preexec_fn=die_with_parent())


def newest_checkpoint(folder):
    """The newest `ckpt-*` (file or folder) in a `checkpoints` folder under `folder`, or
    None: what every experiment's checkpoints are called."""
    found = [p for p in pathlib.Path(folder).glob("**/checkpoints/ckpt-*")
             if not p.name.endswith(".tmp") and ".partial" not in p.name]
    return max(found, key=lambda p: p.stat().st_mtime, default=None)


def stop_report(run, returncode, since):
    """One line on what a run stopped at `since` (a `time.time()`) left in its folder
    (`returncode` None: not known here, e.g. a run on a Ray node)."""
    newest = newest_checkpoint(run["folder"])
    exit_code = "" if returncode is None else f" (exit {returncode})"
    head = f"{run['setting']} seed {run['seed']}{exit_code}: "
    if newest is not None and newest.stat().st_mtime >= since:
        return head + f"saved {newest}"
    return head + (f"saved nothing at the stop; it resumes from {newest}" if newest
                   else "saved nothing at the stop; it starts again from step 0")


def run_locally(experiment, pending, log_dir, workers, outcomes, bar):
    """Runs `pending` (planned runs), `workers` at a time; files each under `outcomes` once.

    Args:
        experiment: the experiment's name.
        pending: the runs of `sweep.plan_runs` that are not finished.
        log_dir: the sweep folder.
        workers: how many runs train at once.
        outcomes: {"trained": [], "failed": [], "busy": []}, filled here.
        bar: the sweep's progress bar.

    Raises:
        stop_signals.Interrupted: SIGINT/SIGTERM, after the running runs stopped (what
            each saved is printed first).
    """
    pending, active = list(pending), []
    with stop_signals.StopSignals(announce=False), stop_signals.deferred():
        while (pending or active) and stop_signals.requested() is None:
            while pending and len(active) < workers and stop_signals.requested() is None:
                run = pending.pop(0)
                log_path = sweep.run_log(log_dir, run)
                holder = run_folder_holder(run["folder"])
                if holder is not None:
                    outcomes["busy"].append(dict(run, log=log_path,
                                                 holder=describe_holder(holder)))
                    bar.update(1)
                    continue
                with open(log_path, "a") as log:
                    active.append((start_run(experiment, run, log), run, log_path))
            time.sleep(POLL_SECONDS)
            for item in list(active):
                process, run, log_path = item
                if process.poll() is None:
                    continue
                active.remove(item)
                bar.update(1)
                sweep.sort_outcome(dict(run, log=log_path), process.returncode, outcomes)
        received = stop_signals.requested()
        if received is not None:
            _stop(active, received)


def _stop(active, received):
    """Forwards one stop request to each running run, waits, says what each saved."""
    since = time.time()
    print(f"\n{received.name} received: asking {len(active)} running run(s) to save a "
          "checkpoint and stop (send it again to stop at once)", file=sys.stderr, flush=True)
    for process, _, _ in active:
        if process.poll() is None:
            process.send_signal(received)
    for process, run, _ in active:
        process.wait()
        print(stop_report(run, process.returncode, since), file=sys.stderr, flush=True)
    raise stop_signals.Interrupted(sweep.INTERRUPTED, received)
