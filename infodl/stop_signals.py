"""SIGINT / SIGTERM as a stop request: long phases stop within seconds, a second signal at once.

Inside `StopSignals()` the first SIGINT or SIGTERM does not kill the process: it records
a stop request. Code that holds state worth keeping (a training loop) runs in a
`deferred()` block and polls `requested()` / `check()` between short pieces of work,
saves a checkpoint and raises `Interrupted`; everywhere else (data loading, error-bar
fits, the analysis) the request raises `Interrupted` at once, as Ctrl-C normally does.
Compiled loops that run for long in one call register a callback with `on_request()`
(e.g. setting a `tf.Variable` their loop condition reads): a watcher thread calls it the
moment the signal arrives, even while the main thread waits inside TensorFlow. A second
signal ends the process at once with exit code 128 + signal number, except a repeat of the
process's parent-death signal (`prctl(PR_SET_PDEATHSIG)`, which a sweep sets on its runs)
within `PARENT_DEATH_REPEAT_SECONDS` of the first: Linux sends that signal again for every
thread of the dying parent, so the repeats are one request, not a second.

This module is free of TensorFlow.

Example:
    >>> import signal
    >>> from infodl.stop_signals import Interrupted, StopSignals, check, deferred, requested
    >>> try:
    ...     with StopSignals(announce=False), deferred():
    ...         for step in range(1, 6):
    ...             if step == 2:  # train_step(); Ctrl-C arrives during step 2
    ...                 signal.raise_signal(signal.SIGINT)
    ...             if requested():
    ...                 print("checkpoint at step", step)  # save_checkpoint()
    ...                 check("training")
    ... except Interrupted as error:
    ...     print(error, "- exit code", 128 + error.signal_number)
    checkpoint at step 2
    SIGINT received: stopped during training - exit code 130
"""

import contextlib
import ctypes
import os
import signal
import socket
import sys
import threading
import time
import weakref

SIGNALS = (signal.SIGINT, signal.SIGTERM)
PARENT_DEATH_REPEAT_SECONDS = 1.0
PR_GET_PDEATHSIG = 2  # <linux/prctl.h>


class Interrupted(RuntimeError):
    """SIGINT/SIGTERM stopped the run (after a checkpoint where training happened).

    Attributes:
        signal_number: the signal, so the command line exits with 128 + it.
    """

    def __init__(self, message, signal_number):
        super().__init__(message)
        self.signal_number = int(signal_number)

    @property
    def signal_name(self):
        """E.g. "SIGINT"."""
        return signal.Signals(self.signal_number).name


_state = {"depth": 0, "received": None, "deferred": 0, "previous": {}, "wakeup": None,
          "socket": None, "callbacks": [], "received_at": 0.0, "parent_death": None}
_lock = threading.RLock()
_recorded = threading.Event()


def parent_death_signal():
    """The signal Linux sends this process when its parent dies (`PR_SET_PDEATHSIG`), or
    None (none set, or not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        value = ctypes.c_int(0)
        if ctypes.CDLL(None, use_errno=True).prctl(PR_GET_PDEATHSIG, ctypes.byref(value),
                                                   0, 0, 0) != 0:
            return None
    except (OSError, AttributeError):
        return None
    return value.value or None


def requested():
    """The signal (`signal.Signals`) that asked the run to stop, or None."""
    return _state["received"]


def check(where="the run"):
    """Raises `Interrupted` if a stop was requested (call between pieces of work)."""
    received = _state["received"]
    if received is not None:
        raise Interrupted(f"{received.name} received: stopped during {where}",
                          received)


def on_request(callback):
    """Calls `callback()` (from a watcher thread) when a stop is requested; at once if it
    already was. A bound method is held weakly (the object may go away)."""
    reference = (weakref.WeakMethod(callback) if hasattr(callback, "__self__")
                 else (lambda: callback))
    with _lock:
        _state["callbacks"] = [r for r in _state["callbacks"] if r() is not None]
        _state["callbacks"].append(reference)
    if _state["received"] is not None:
        callback()


@contextlib.contextmanager
def deferred():
    """A block whose code polls `requested()` itself: a signal only records the request."""
    _state["deferred"] += 1
    try:
        yield
    finally:
        _state["deferred"] -= 1


@contextlib.contextmanager
def immediate():
    """A block (inside `deferred()`) that a signal interrupts at once: work without state to
    keep, e.g. an independent estimate."""
    saved, _state["deferred"] = _state["deferred"], 0
    try:
        check()
        yield
    finally:
        _state["deferred"] = saved


def _write(text):
    """One write to stderr (a `print` writes the text and its newline apart, and the main
    thread may print in between)."""
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


class StopSignals:
    """Installs the SIGINT/SIGTERM handlers of this module for the duration of a block.

    Re-entrant (only the outermost block installs and restores the handlers), and a
    no-op outside the main thread, where Python cannot install signal handlers.

    Args:
        signals: the signals to catch (default SIGINT and SIGTERM).
        announce: print one line on stderr when the first signal arrives.

    Example:
        >>> import signal
        >>> from infodl.stop_signals import StopSignals
        >>> with StopSignals(announce=False):  # run(config): outside deferred() blocks
        ...     signal.raise_signal(signal.SIGTERM)  # a signal stops it at once
        Traceback (most recent call last):
        infodl.stop_signals.Interrupted: SIGTERM received: ...
    """

    def __init__(self, signals=SIGNALS, announce=True):
        self.signals = tuple(signals)
        self.announce = announce
        self._installed = False

    def __enter__(self):
        if threading.current_thread() is not threading.main_thread():
            return self
        with _lock:
            self._installed = True
            _state["depth"] += 1
            if _state["depth"] > 1:
                return self
            _state["received"] = None
            _state["parent_death"] = parent_death_signal()
            _recorded.clear()
            for signum in self.signals:
                _state["previous"][signum] = signal.signal(signum, self._handle)
            self._start_watcher()
        return self

    def __exit__(self, *exc_info):
        if not self._installed:
            return False
        self._installed = False
        with _lock:
            _state["depth"] -= 1
            if _state["depth"]:
                return False
            for signum, handler in _state["previous"].items():
                signal.signal(signum, handler)
            _state["previous"] = {}
            self._stop_watcher()
            _state["received"] = None
            _recorded.clear()
            _state["callbacks"] = []
        return False

    # --- the handlers ---------------------------------------------------------------------
    def _start_watcher(self):
        """A thread woken by the signal's byte on a socket (`signal.set_wakeup_fd`): it acts
        even while the main thread waits in a long compiled call."""
        reader, writer = socket.socketpair()
        writer.setblocking(False)
        try:
            previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        except (ValueError, OSError):
            reader.close(), writer.close()
            return
        if previous != -1:  # someone else (an event loop) watches signals: leave it theirs
            signal.set_wakeup_fd(previous)
            reader.close(), writer.close()
            return
        _state["wakeup"], _state["socket"] = writer, reader
        threading.Thread(target=self._watch, args=(reader,), daemon=True,
                         name="infodl-stop-signals").start()

    def _stop_watcher(self):
        if _state["wakeup"] is None:
            return
        signal.set_wakeup_fd(-1)
        _state["wakeup"].close()  # the reader sees end-of-file and the thread ends
        _state["wakeup"], _state["socket"] = None, None

    def _watch(self, reader):
        with reader:
            while True:
                try:
                    data = reader.recv(64)
                except OSError:
                    return
                if not data:
                    return
                for signum in data:
                    if signum in [int(s) for s in self.signals]:
                        self._record(signum)

    def _record(self, signum):
        with _lock:
            name = signal.Signals(signum).name
            if _state["received"] is not None:
                if (signum == _state["parent_death"] == _state["received"]
                        and time.monotonic() - _state["received_at"]
                        < PARENT_DEATH_REPEAT_SECONDS):
                    return  # the dying parent's next thread: the same request
                _write(f"\n{name} again: stopping at once.\n")
                os._exit(128 + signum)
            _state["received"] = signal.Signals(signum)
            _state["received_at"] = time.monotonic()
            callbacks = [r() for r in _state["callbacks"]]
        if self.announce:
            _write(f"\n{name} received: stopping (a checkpoint is saved where training "
                   "happened); send it again to stop at once.\n")
        _recorded.set()
        for callback in callbacks:
            try:
                if callback is not None:
                    callback()
            except Exception as error:
                _write(f"stop request callback failed: {error}\n")

    def _handle(self, signum, frame):
        """The Python-level handler (main thread, between bytecodes)."""
        if _state["wakeup"] is None:  # no watcher thread: record here
            self._record(signum)
        else:  # the watcher thread records it (and ends the process on a second signal)
            _recorded.wait(1.0)
        if _state["received"] is not None and not _state["deferred"]:
            check()
