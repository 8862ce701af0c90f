"""The local launcher of a sweep (`--sweep_launcher=local`, the default): every run a
process of this machine, `workers` at a time.

`infodl.experiments.sweeps.plan.run_sweep` plans the sweep, skips the finished runs and calls
`run_locally` with the rest; each run is the command `sweep.run_command()` + its flags,
its output appended to `<log_dir>/logs/<setting>_seed<s>.log`. A run whose folder another
process holds (`infodl.run_folder.lock`) is not started and is filed as busy. Ctrl-C
sends SIGTERM to the running runs (each saves a checkpoint and stops), waits for them,
and ends in one line; a rerun of the sweep continues. `infodl.experiments.sweeps.ray_launcher`
is the same loop with Ray tasks on a cluster instead of processes here.

Example:
    python run.py --sweep=experiments/sweeps/p2_table2.yaml --sweep_workers=2 \\
        --log_dir=runs/p2_table2

Reference: P2 Tables 1-2 (the grids of runs a sweep runs).
"""

import signal
import subprocess
import time

from infodl.experiments.sweeps import plan as sweep
from infodl.run_folder.lock import describe_holder, run_folder_holder

POLL_SECONDS = 0.5  # how often the running processes are checked


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
        ValueError: on SIGINT, after the running runs saved their checkpoints.
    """
    pending, active = list(pending), []
    try:
        while pending or active:
            while pending and len(active) < workers:
                run = pending.pop(0)
                log_path = sweep.run_log(log_dir, run)
                holder = run_folder_holder(run["folder"])
                if holder is not None:
                    outcomes["busy"].append(dict(run, log=log_path,
                                                 holder=describe_holder(holder)))
                    bar.update(1)
                    continue
                with open(log_path, "a") as log:
                    process = subprocess.Popen(
                        [*sweep.run_command(), *sweep.flag_arguments(experiment, run["values"])],
                        env=sweep.run_environment(), stdout=log, stderr=subprocess.STDOUT)
                active.append((process, run, log_path))
            time.sleep(POLL_SECONDS)
            for item in list(active):
                process, run, log_path = item
                if process.poll() is None:
                    continue
                active.remove(item)
                bar.update(1)
                sweep.sort_outcome(dict(run, log=log_path), process.returncode, outcomes)
    except KeyboardInterrupt:
        for process, _, _ in active:
            process.send_signal(signal.SIGTERM)  # each run saves a checkpoint and stops
        for process, _, _ in active:
            process.wait()
        raise ValueError(sweep.INTERRUPTED) from None
