"""A Ray address where another service answers is refused within seconds, in one line, and
before the sweep folder is made (issue 30, case 10)."""

import contextlib
import http.server
import os
import pathlib
import socket
import subprocess
import sys
import threading
import time

import pytest

from infodl.experiments.sweeps import ray_launcher

ROOT = pathlib.Path(__file__).resolve().parents[3]


@contextlib.contextmanager
def _service(reply):
    """A TCP service on 127.0.0.1 whose every connection gets `reply(connection)`."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    done = threading.Event()

    def serve():
        server.settimeout(0.2)
        while not done.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                reply(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.getsockname()[1]}"
    finally:
        done.set()
        thread.join(5)
        server.close()


def _ssh(connection):
    connection.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")


def _silent(connection):
    time.sleep(ray_launcher.CONNECT_TIMEOUT_SECONDS + 0.5)


def _grpc(connection):  # what a gRPC server (Ray's GCS) answers first: its SETTINGS frame
    connection.recv(len(ray_launcher.HTTP2_PREFACE))
    connection.sendall(bytes([0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 100]))


@pytest.mark.parametrize("reply, received", [
    (_ssh, r"it answered b'SSH-2.0-OpenSSH_9.6\\r\\n'"),
    (_silent, "no reply within 3 s"),
    (lambda connection: None, "it closed the connection"),  # (with a reset, on Linux)
])
def test_a_service_that_is_not_ray_is_refused_within_seconds(reply, received):
    with _service(reply) as address:
        start = time.monotonic()
        with pytest.raises(ValueError) as error:
            ray_launcher.check_reachable(address)
        assert time.monotonic() - start < ray_launcher.CONNECT_TIMEOUT_SECONDS + 1
    message = str(error.value)
    assert message.startswith(
        f"Expected a Ray cluster at {address}. Received: a service on {address} that does "
        f"not speak Ray's gRPC ({received.replace(chr(92) * 2, chr(92))}")
    assert message.endswith("); fix --ray_address / RAY_ADDRESS (the head's port, 6379 by "
                            "default)") and "\n" not in message


def test_a_grpc_server_passes():
    with _service(_grpc) as address:
        ray_launcher.check_reachable(address)


def test_the_command_line_refuses_an_http_server_before_making_the_folder(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    address = f"127.0.0.1:{server.server_address[1]}"
    sweep_file = tmp_path / "two.yaml"
    sweep_file.write_text("experiment: resnet\nflags: {dataset: synthetic, train_steps: 30}\n"
                          "seeds: [0]\ngrid: {alpha2: [0.0, 0.03]}\n")
    start = time.monotonic()
    try:
        result = subprocess.run(
            [sys.executable, str(ROOT / "run.py"), f"--sweep={sweep_file}",
             "--sweep_launcher=ray", f"--ray_address={address}",
             f"--log_dir={tmp_path / 'out'}"], cwd=ROOT, capture_output=True, text=True,
            timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    finally:
        server.shutdown()
    assert time.monotonic() - start < 15  # Ray's own attempt took 20 s and 20 log lines
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"Error: Expected a Ray cluster at {address}. Received: a service on {address} "
        "that does not speak Ray's gRPC (it answered b'"), result.stderr
    assert not (tmp_path / "out").exists()  # no sweep.json either
