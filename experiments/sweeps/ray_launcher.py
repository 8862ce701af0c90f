"""Sweeps on a Ray cluster (`--sweep_launcher=ray`): every setting × seed is one Ray task.

`infodl.experiments.sweeps.plan.run_sweep` plans the sweep, skips the finished runs and files
the outcomes exactly as with the local launcher; this module only replaces "start a
process of this machine" by "start a Ray task somewhere on the cluster". Each task runs
the local launcher's command (`sweep.run_command()` + the run's flags, output appended
to `<log_dir>/logs/<setting>_seed<s>.log`) as a child process, so a run on Ray is the
same run, with the same folder, checkpoints and `results.json`.

Why tasks and not Ray Tune trials: a run already owns what Tune would add. It resumes
from its own checkpoints when its command is started again, refuses a second process on
its folder (`infodl.run_folder.lock`), saves a checkpoint on SIGINT/SIGTERM, and the
grid is fixed by the sweep file (no search, no early stopping between trials). A task
that starts the command is all the cluster has to do, and the report cannot tell which
launcher ran the grid.

What the launcher adds for a cluster:

- Resources: the sweep file's `resources: {cpu: 4, gpu: 1}` are the task's `num_cpus` /
  `num_gpus`; a sweep asking more than any node has is refused in one line before any
  run starts (Ray would otherwise queue it forever).
- Retries: a run whose task fails (its worker died, its node was lost, the run exited
  with an error) is started again, at most `retries` times, by this driver (the tasks
  have Ray's own `max_retries=0`, so one count covers every cause); the new attempt
  resumes from the run's last checkpoint. A run refused its folder is busy, not retried.
- A worker that dies does not leave its run training on: the run is started in a session
  of its own with Linux's parent-death signal (`prctl(PR_SET_PDEATHSIG, SIGTERM)`), so it
  receives SIGTERM, saves a checkpoint and stops (elsewhere it runs to its end). Before
  starting, every attempt waits (at most `LOCK_WAIT_SECONDS`) for the run folder's lock
  to be free, so the dying predecessor finishes its checkpoint first and a run never
  trains twice at once; a run found finished by then is counted once, as trained.
- SIGINT on the driver writes `<log_dir>/sweep.stop`; every task then sends SIGTERM to
  its run (which saves a checkpoint), queued tasks do not start, and the driver waits
  for them before it ends with the local launcher's message. A rerun of the same
  command continues, also after the driver was killed outright (Ray then ends the job's
  workers, and their runs stop with a checkpoint through the parent-death signal; the
  workers run with Ray's `kill_child_processes_on_worker_exit` off, which would SIGKILL).

The cluster: `address` (`--ray_address`, else the environment's `RAY_ADDRESS`, else a
Ray started on this machine for the sweep; `auto` joins one started here by `ray start`).
Every node needs the same code (the same `infodl` install, or the same checkout at the
same path), the data at the flags' paths, and `--log_dir` on a file system shared by all
nodes and the driver (NFS or similar): the runs write their folders there and the driver
reads the outcomes there. Nothing is copied back. Start the cluster with
`ray start --head` on one node and `ray start --address=<head>:6379` on the others.

Example:
    python run.py --sweep=experiments/sweeps/p2_table2.yaml --sweep_launcher=ray \\
        --ray_address=head-node:6379 --data_dir=/shared/cifar-10-batches-bin \\
        --log_dir=/shared/runs/p2_table2
    python run.py --experiment=report --log_dir=/shared/runs/p2_table2

Reference: P2 Tables 1-2 (the grids of runs this launcher spreads over machines).
"""

import importlib.util
import logging
import os
import signal
import socket
import sys
import time

import infodl
from infodl.experiments.sweeps import plan as sweep
from infodl.experiments.sweeps.local_launcher import start_run, stop_report
from infodl.run_folder.lock import describe_holder, run_folder_holder

STOP_FILE = "sweep.stop"  # in the sweep folder: the driver's request that runs stop
LOCK_WAIT_SECONDS = 120.0  # how long an attempt waits for a predecessor's folder lock
STOP_WAIT_SECONDS = 600.0  # how long the driver waits for stopped runs' checkpoints
CONNECT_TIMEOUT_SECONDS = 3.0
# The HTTP/2 client connection preface and an empty SETTINGS frame (RFC 9113 §3.4).
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])


def cluster_address(address):
    """The cluster to use: `address`, else `$RAY_ADDRESS`, else None (a local Ray)."""
    return address or os.environ.get("RAY_ADDRESS") or None


def check_reachable(address, timeout=CONNECT_TIMEOUT_SECONDS):
    """Refuses, in one line and within `timeout` seconds, a Ray address nobody answers at,
    or where a service answers that is not a gRPC server like Ray's (an HTTP or SSH
    server, a database): its HTTP/2 preface gets no SETTINGS frame back.

    `ray.init` would otherwise retry for 20 s to a minute and end in a page of log lines.
    "auto" (a cluster started on this machine) is left to Ray.

    Args:
        address: "host:port" (the head's GCS port, 6379 by default) or
            "ray://host:port" (Ray Client, 10001 by default).

    Raises:
        ValueError: a malformed address, no answer on its TCP port, or not a gRPC server.
    """
    if address in ("auto", "local"):
        return
    host_port = address.split("://", 1)[-1]
    host, _, port = host_port.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"Expected --ray_address as host:port (e.g. 10.0.0.5:6379). "
                         f"Received: --ray_address={address}")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout) as link:
            answer = _grpc_answer(link, timeout)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ValueError(f"Expected a Ray cluster at {address}. Received: no answer on "
                         f"{host}:{port} ({reason}); start one with `ray start --head`, fix "
                         "--ray_address / RAY_ADDRESS, or omit both for a local Ray") from None
    if answer is not None:
        raise ValueError(f"Expected a Ray cluster at {address}. Received: a service on "
                         f"{host}:{port} that does not speak Ray's gRPC ({answer}); fix "
                         "--ray_address / RAY_ADDRESS (the head's port, 6379 by default)")


def _grpc_answer(link, timeout):
    """None when the service at `link` answers an HTTP/2 client preface with a SETTINGS
    frame, as every gRPC server (Ray's GCS, Ray Client) does; else what it did instead."""
    link.settimeout(timeout)
    head = b""
    try:
        link.sendall(HTTP2_PREFACE)
        while len(head) < 9:
            chunk = link.recv(64)
            if not chunk:
                break
            head += chunk
    except TimeoutError:
        if not head:
            return f"no reply within {timeout:g} s"
    except OSError as error:
        if not head:
            return f"it closed the connection ({error.strerror or type(error).__name__})"
    if len(head) >= 9 and head[3] == 0x04:  # frame type 4: SETTINGS
        return None
    return f"it answered {head[:32]!r}" if head else "it closed the connection"


def _check_resources(resources, nodes):
    """Refuses, in one line, what one run needs when no live node of the cluster has it.

    Args:
        resources: {"cpu": float, "gpu": float} (`sweep.run_resources`).
        nodes: `ray.nodes()`: dicts with "Alive", "NodeManagerAddress" and "Resources"
            ({"CPU": 8.0, "GPU": 1.0, ...}).

    Raises:
        ValueError: no live node has `resources`; the message lists what each has.
    """
    alive = [n for n in nodes if n.get("Alive", True)]
    for node in alive:
        have = node.get("Resources", {})
        if have.get("CPU", 0) >= resources["cpu"] and have.get("GPU", 0) >= resources["gpu"]:
            return
    found = "; ".join(f"{n.get('NodeManagerAddress', '?')}: cpu {_count(n, 'CPU')}, "
                      f"gpu {_count(n, 'GPU')}" for n in alive) or "no live node"
    raise ValueError(f"Expected a Ray node with cpu >= {resources['cpu']:g} and gpu >= "
                     f"{resources['gpu']:g} (the sweep file's resources for one run). "
                     f"Received: {found}")


def _count(node, key):
    return f"{node.get('Resources', {}).get(key, 0):g}"


def wait_for_folder(folder, seconds):
    """None once no other process holds the run folder, else its holder after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        holder = run_folder_holder(folder)
        if holder is None or time.monotonic() >= deadline:
            return holder
        time.sleep(0.5)


def _run_attempt(experiment, run, log_path, stop_path, lock_wait=LOCK_WAIT_SECONDS):
    """One attempt of one run (the body of its Ray task): the local launcher's command.

    Returns:
        dict: "returncode" (None when it did not start), "holder" (who holds the run
        folder, when it was busy), "finished" (the run was already complete), "stopped"
        (the driver asked the sweep to stop) and "node" (this host's name).
    """
    outcome = {"returncode": None, "holder": None, "finished": False, "stopped": False,
               "node": socket.gethostname()}
    holder = wait_for_folder(run["folder"], lock_wait)
    if holder is not None:
        return dict(outcome, holder=describe_holder(holder))
    if sweep.run_finished(run["folder"]):  # a predecessor of this attempt finished it
        return dict(outcome, returncode=0, finished=True)
    if os.path.exists(stop_path):
        return dict(outcome, stopped=True)
    with open(log_path, "a") as log:
        process = start_run(experiment, run, log)
    stopping = False
    while process.poll() is None:
        if not stopping and os.path.exists(stop_path):
            process.send_signal(signal.SIGTERM)  # the run saves a checkpoint and stops
            stopping = True
        time.sleep(0.5)
    return dict(outcome, returncode=process.returncode, stopped=stopping)


def _note(log_path, text):
    """Appends the driver's line about an attempt to the run's log."""
    with open(log_path, "a") as log:
        log.write(f"[ray launcher] {text}\n")


def require_ray():
    """One clear line when Ray is not installed (it is the extra `infodl[ray]`), checked
    before the sweep folder is made; Ray itself is imported only on `connect`."""
    try:
        found = sys.modules.get("ray") is not None or importlib.util.find_spec("ray") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise ValueError('Expected the ray package for --sweep_launcher=ray. Received: no '
                         'module named ray; pip install "infodl[ray]" (in a checkout: '
                         'pip install -e ".[ray]")')


def connect(address):
    """`ray.init` on `address` (checked first) or on a Ray started here; returns `ray`."""
    address = cluster_address(address)
    if address is not None:
        check_reachable(address)
    require_ray()
    import ray
    # A worker that exits (e.g. its driver was killed) SIGKILLs its child processes by
    # Ray's default, which would end a run without a checkpoint: off, so the run gets the
    # parent-death SIGTERM instead and saves one.
    env_vars = {"RAY_kill_child_processes_on_worker_exit": "0"}
    if infodl.checkout_root() is not None:  # the workers import infodl too
        env_vars["PYTHONPATH"] = sweep.run_environment()["PYTHONPATH"]
    # No address: "local", a new Ray here. Ray's own default (None) would instead join the
    # cluster of the last `ray start` on this machine, named in its temp dir's
    # ray_current_cluster even when long gone (then it retries for minutes); a cluster
    # started here is joined with --ray_address=auto.
    options = dict(address=address or "local", log_to_driver=False,
                   logging_level=logging.WARNING,
                   runtime_env={"env_vars": env_vars})
    if address is None:
        options.update(include_dashboard=False)
    try:
        ray.init(**options)
    except (ConnectionError, RuntimeError, ValueError) as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise ValueError(f"Expected a Ray cluster at {address or 'a local Ray'}. "
                         f"Received: {first}") from None
    return ray


def run_on_ray(experiment, pending, log_dir, resources, outcomes, bar, address=None,
               retries=2):
    """Runs `pending` (planned runs) as Ray tasks; files each under `outcomes` once.

    Args:
        experiment: the experiment's name.
        pending: the runs of `sweep.plan_runs` that are not finished.
        log_dir: the sweep folder (on a file system every node shares).
        resources: what one run needs, {"cpu", "gpu"}.
        outcomes: {"trained": [], "failed": [], "busy": []}, filled here.
        bar: the sweep's progress bar.
        address: the cluster (see `cluster_address`).
        retries: how often a failed run is started again.

    Raises:
        ValueError: an unreachable cluster, resources no node has, or SIGINT (after the
            runs saved their checkpoints).
    """
    stop_path = os.path.join(log_dir, STOP_FILE)
    if os.path.exists(stop_path):  # left by an earlier, interrupted driver
        os.remove(stop_path)
    ray = connect(address)
    try:
        _check_resources(resources, ray.nodes())
        task = ray.remote(_run_attempt).options(num_cpus=resources["cpu"],
                                               num_gpus=resources["gpu"], max_retries=0)
        attempts, running = {}, {}

        def start(run):
            key = (run["setting"], run["seed"])
            attempts[key] = attempts.get(key, 0) + 1
            running[task.remote(experiment, run, sweep.run_log(log_dir, run), stop_path)] = run

        for run in pending:
            start(run)
        try:
            while running:
                ready, _ = ray.wait(list(running), num_returns=1, timeout=1.0)
                for ref in ready:
                    run = running.pop(ref)
                    if _settle(ray, ref, run, log_dir, attempts, retries, outcomes):
                        bar.update(1)
                    else:
                        start(run)
        except KeyboardInterrupt:
            since = time.time()
            with open(stop_path, "w") as stop:
                stop.write("stop\n")
            deadline = time.monotonic() + STOP_WAIT_SECONDS
            try:
                ray.wait(list(running), num_returns=len(running), timeout=STOP_WAIT_SECONDS)
            except Exception:  # a local Ray may have had the Ctrl-C too
                pass
            for run in running.values():  # their runs have saved and let go of the folders
                wait_for_folder(run["folder"], max(0.0, deadline - time.monotonic()))
                print(stop_report(run, None, since), file=sys.stderr, flush=True)
            raise ValueError(sweep.INTERRUPTED) from None
    finally:
        ray.shutdown()


def _settle(ray, ref, run, log_dir, attempts, retries, outcomes):
    """Files an ended attempt; False when the run is to be started again."""
    log_path = sweep.run_log(log_dir, run)
    record = dict(run, log=log_path)
    attempt = attempts[(run["setting"], run["seed"])]
    try:
        result = ray.get(ref)
    except ray.exceptions.RayError as error:
        result, returncode = None, type(error).__name__  # e.g. WorkerCrashedError
    else:
        returncode = result["returncode"]
    if result is not None and result["holder"] is not None:
        outcomes["busy"].append(dict(record, holder=result["holder"]))
        return True
    if result is not None and result["stopped"] and returncode is None:
        return True  # never started: the driver is stopping
    if returncode == 0 or (isinstance(returncode, int) and sweep.refusal(log_path)):
        sweep.sort_outcome(record, returncode, outcomes)
        return True
    where = f" on {result['node']}" if result is not None else ""
    if attempt <= retries:
        _note(log_path, f"attempt {attempt}{where} ended: {returncode}; "
                        f"starting it again ({attempt} of {retries} retries)")
        return False
    _note(log_path, f"attempt {attempt}{where} ended: {returncode}; no retries left")
    outcomes["failed"].append(dict(record, returncode=returncode))
    return True
