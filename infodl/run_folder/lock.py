"""One owner per run folder: an exclusive lock on `<run folder>/.lock`, held for the run's life.

Two processes started on one folder would both train, interleave their events and
checkpoints, and race on `results.json`. The first to take the lock owns the folder;
the lock is `fcntl.flock(LOCK_EX | LOCK_NB)` on the open file `.lock`, so

- the operating system releases it when the holder ends, however it ends (SIGKILL,
  a crash, the machine's power): a lock is never stale, and no PID file has to be
  judged by hand;
- on a shared file system it holds across machines where the file system supports it:
  Linux NFS clients turn `flock` into POSIX byte-range locks that the NFS server
  arbitrates (NLM for NFSv3, built into NFSv4), and a dead client's locks are freed
  when its lease expires. (File systems mounted with `nolock`, or ones without
  locking, give each machine only its own processes' view; on Windows, which has no
  `flock`, folders are not locked.)

The holder writes who it is into the file (host, pid, start time, command), so a second
process is refused with one line that names it:

    run folder runs/a is in use by pid 4242 on host node7 (since 2026-12-01T18:50:02Z:
    python run.py --experiment=info_plane --log_dir=runs/a); wait for it or stop it

A process holds one lock per folder however often it asks (`acquire_run_folder`
returns the held lock again), so an experiment and its sweep, or a resumed run in the
same Python session, do not refuse themselves.

Example:
    >>> from infodl.run_folder.lock import RunFolderInUseError, RunFolderLock
    >>> with RunFolderLock("runs/a") as lock:  # train() here, owning runs/a
    ...     try:
    ...         RunFolderLock("runs/a").acquire()  # a second run on the same folder
    ...     except RunFolderInUseError as error:
    ...         print(error)
    run folder runs/a is in use by pid ... on host ... (...); wait for it to end or stop it, ...
    >>> lock.held  # released when the block ends
    False
"""

import datetime
import errno
import json
import os
import re
import socket
import sys
import time

try:
    import fcntl
except ImportError:  # Windows: no flock; the folder is not locked there
    fcntl = None

LOCK_FILE = ".lock"
# The refusal's message, as a launcher finds it in a child's output: group 1 = holder.
IN_USE_PATTERN = re.compile(r"run folder .+ is in use by (.+?); wait for it to end")
_HELD = {}  # real path of a run folder -> its RunFolderLock held by this process


class RunFolderInUseError(FileExistsError):
    """Another live process holds the run folder's lock; `holder` says which."""

    def __init__(self, log_dir, holder):
        self.log_dir = os.fspath(log_dir)
        self.holder = holder
        super().__init__(f"run folder {self.log_dir} is in use by {describe_holder(holder)}; "
                         "wait for it to end or stop it, or choose another log_dir")


def describe_holder(holder):
    """"pid 4242 on host node7 (since ...: command)" from the lock file's record."""
    if not holder:
        return "another process (it has not written its name yet)"
    text = f"pid {holder.get('pid', '?')} on host {holder.get('host', '?')}"
    details = [holder.get("started"), holder.get("command")]
    details = [str(d) for d in details if d]
    return f"{text} ({': '.join(details)})" if details else text


def _holder_record():
    return {"host": socket.gethostname(), "pid": os.getpid(),
            "started": datetime.datetime.now(datetime.timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%SZ"),
            "command": " ".join([os.path.basename(sys.executable)] + sys.argv)}


def _read_holder(log_dir, wait=1.0):
    """The holder record in `<log_dir>/.lock` ({} if unreadable after `wait` seconds).

    The holder writes it right after taking the lock, so a reader that comes in between
    waits a moment for it.
    """
    path = os.path.join(os.fspath(log_dir), LOCK_FILE)
    deadline = time.monotonic() + wait
    while True:
        try:
            with open(path) as handle:
                return json.loads(handle.read())
        except (OSError, ValueError):
            if time.monotonic() >= deadline:
                return {}
            time.sleep(0.05)


class RunFolderLock:
    """The exclusive lock of one run folder (created if missing), for one process.

    Args:
        log_dir: the run folder.

    Raises (on `acquire`):
        RunFolderInUseError: another live process holds it; the message names it.
    """

    def __init__(self, log_dir):
        self.log_dir = os.fspath(log_dir)
        self.path = os.path.join(self.log_dir, LOCK_FILE)
        self._descriptor = None

    @property
    def held(self):
        """True while this object holds the lock on the folder's current `.lock` file."""
        if self._descriptor is None:
            return False
        try:  # the folder may have been deleted and made again since
            return os.path.samestat(os.fstat(self._descriptor), os.stat(self.path))
        except OSError:
            return False

    def acquire(self):
        """Takes the lock or raises `RunFolderInUseError`; returns self."""
        if self.held:
            return self
        self.release()
        os.makedirs(self.log_dir, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if fcntl is not None:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            os.close(descriptor)
            if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            raise RunFolderInUseError(self.log_dir, _read_holder(self.log_dir)) from None
        # The lock is on this inode: the record is written in place, never replaced.
        os.ftruncate(descriptor, 0)
        os.write(descriptor, (json.dumps(_holder_record(), sort_keys=True) + "\n").encode())
        os.fsync(descriptor)
        self._descriptor = descriptor
        return self

    def release(self):
        """Releases the lock (the `.lock` file stays; its record is stale from now on)."""
        if self._descriptor is not None:
            try:
                if fcntl is not None:
                    fcntl.flock(self._descriptor, fcntl.LOCK_UN)
            finally:
                os.close(self._descriptor)
                self._descriptor = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc_info):
        self.release()


def acquire_run_folder(log_dir):
    """The lock of `log_dir`, taken for the rest of this process (or until released).

    The same process asking again gets the lock it holds. The operating system frees it
    when the process ends.

    Raises:
        RunFolderInUseError: another live process holds the folder.
    """
    key = os.path.realpath(os.fspath(log_dir))
    lock = _HELD.get(key)
    if lock is None:
        lock = RunFolderLock(log_dir)
    lock.acquire()
    _HELD[key] = lock
    return lock


def release_run_folder(log_dir):
    """Releases this process's lock of `log_dir`, if it holds one."""
    lock = _HELD.pop(os.path.realpath(os.fspath(log_dir)), None)
    if lock is not None:
        lock.release()


def run_folder_holder(log_dir):
    """The holder record of `log_dir` when another process holds it, else None.

    A probe for launchers (the sweep): it takes the lock for an instant if it is free.
    """
    if not os.path.isdir(os.fspath(log_dir)):
        return None
    if os.path.realpath(os.fspath(log_dir)) in _HELD:
        return None
    probe = RunFolderLock(log_dir)
    try:
        probe.acquire()
    except RunFolderInUseError as error:
        return error.holder or {}
    probe.release()
    return None
