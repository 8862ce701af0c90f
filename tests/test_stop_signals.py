"""SIGINT/SIGTERM as a stop request (`infodl.stop_signals`, issue 18 point 2)."""

import pathlib
import signal
import subprocess
import sys
import time

import pytest

from infodl import stop_signals

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_outside_deferred_blocks_a_signal_raises_at_once():
    before = signal.getsignal(signal.SIGINT)  # default_int_handler, SIG_IGN in a background job
    with pytest.raises(stop_signals.Interrupted) as raised:
        with stop_signals.StopSignals(announce=False):
            signal.raise_signal(signal.SIGTERM)
            time.sleep(5)  # not reached
    assert raised.value.signal_number == signal.SIGTERM == 15
    assert signal.getsignal(signal.SIGINT) is before  # restored


def test_deferred_blocks_record_the_request_and_call_back():
    calls = []
    with stop_signals.StopSignals(announce=False), stop_signals.deferred():
        stop_signals.on_request(lambda: calls.append("stop"))
        signal.raise_signal(signal.SIGINT)
        deadline = time.monotonic() + 5
        while not calls and time.monotonic() < deadline:  # the watcher thread calls it
            time.sleep(0.01)
        assert calls == ["stop"] and stop_signals.requested() == signal.SIGINT
        with pytest.raises(stop_signals.Interrupted, match="SIGINT received: stopped during "
                                                           "the test"):
            stop_signals.check("the test")
        with pytest.raises(stop_signals.Interrupted):
            with stop_signals.immediate():
                pass
    assert stop_signals.requested() is None  # reset on leaving


def test_nested_blocks_install_once_and_restore_at_the_end():
    before = signal.getsignal(signal.SIGINT)
    with stop_signals.StopSignals():
        handler = signal.getsignal(signal.SIGINT)
        with stop_signals.StopSignals():
            assert signal.getsignal(signal.SIGINT) is handler
        assert signal.getsignal(signal.SIGINT) is handler
    assert handler is not before
    assert signal.getsignal(signal.SIGINT) is before


def test_a_second_signal_ends_the_process_at_once():
    # The main thread waits in one long C call (like a compiled training stretch): the
    # first SIGINT only records the request, the second ends the process with 130.
    script = (
        "import os, signal, threading, time\n"
        "from infodl import stop_signals\n"
        "def twice():\n"
        "    time.sleep(1); os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(1); os.kill(os.getpid(), signal.SIGINT)\n"
        "with stop_signals.StopSignals(), stop_signals.deferred():\n"
        "    threading.Thread(target=twice, daemon=True).start()\n"
        "    time.sleep(60)\n")
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60, cwd=ROOT)
    assert result.returncode == 130, result.stderr
    assert time.monotonic() - started < 30
    assert "SIGINT again: stopping at once." in result.stderr
