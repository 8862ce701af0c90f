"""Tests of the tfds source: mocked tfds data, and a fast, clear failure offline."""

import socket
import threading

import numpy as np
import pytest
import tensorflow_datasets as tfds

from infodl.data import DatasetUnavailableError, load_dataset, tfds_source
from infodl.data.subset import stratified_subset_indices
from infodl.data.tfds_source import TFDS_DOWNLOAD_HOSTS, host_is_reachable, load_from_tfds

OPTIONS = ("--data_dir=<folder with the original CIFAR/MNIST files>",
           "--dataset=synthetic", "--dataset=digits")


@pytest.fixture
def online(monkeypatch):
    monkeypatch.setattr(tfds_source, "host_is_reachable", lambda *args: True)


@pytest.mark.parametrize("name, shape, num_classes",
                         [("cifar10", (32, 32, 3), 10), ("cifar100", (32, 32, 3), 100),
                          ("mnist", (28, 28, 1), 10)])
def test_mocked_tfds_gives_numpy_arrays(online, name, shape, num_classes):
    with tfds.testing.mock_data(num_examples=30):
        dataset = load_dataset(name)
    assert dataset.source == "tfds" and dataset.num_classes == num_classes
    assert dataset.x_train.shape == (30,) + shape and dataset.x_train.dtype == np.uint8
    assert dataset.y_test.shape == (30,) and dataset.y_test.dtype == np.int64
    assert 0 <= dataset.y_train.min() and dataset.y_train.max() < num_classes
    assert dataset.x_train.std() > 10  # random pixels, not an all-zero placeholder


def test_mocked_tfds_with_train_fraction(online):
    with tfds.testing.mock_data(num_examples=50):
        full = load_dataset("mnist")
        subset = load_dataset("mnist", train_fraction=0.5, seed=3)
    keep = stratified_subset_indices(full.y_train, 0.5, seed=3)
    assert 25 <= len(keep) < 35  # round(0.5 * 50), plus at most one per class
    np.testing.assert_array_equal(subset.x_train, full.x_train[keep])
    np.testing.assert_array_equal(subset.y_train, full.y_train[keep])
    np.testing.assert_array_equal(subset.y_test, full.y_test)


def test_unreachable_host_raises_before_tfds_downloads(monkeypatch):
    monkeypatch.setattr(tfds_source, "host_is_reachable", lambda *args: False)
    with (tfds.testing.mock_data(num_examples=5),
          pytest.raises(DatasetUnavailableError) as info):
        load_from_tfds("cifar10")
    message = str(info.value)
    assert "\n" not in message and "www.cs.toronto.edu:443 unreachable" in message
    assert all(option in message for option in OPTIONS)


def test_failing_download_becomes_dataset_unavailable(online, monkeypatch, tmp_path):
    def broken_download(self, *args, **kwargs):
        raise OSError("Connection reset by peer\nsecond line")

    monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare", broken_download)
    with pytest.raises(DatasetUnavailableError,
                       match=r"download failed: OSError: Connection reset by peer\)\. "
                             r"Offline options: .*--dataset=digits\.$"):
        load_from_tfds("mnist", tfds_data_dir=str(tmp_path))


def test_offline_machine_fails_fast_with_the_offline_options(tmp_path, monkeypatch):
    """Offline, the only network wait is one probe of the download host with its 3 s
    budget: tfds' download (which retries for minutes) is never started."""
    host, port = TFDS_DOWNLOAD_HOSTS["cifar10"]
    if host_is_reachable(host, port, 3.0):
        pytest.skip("this machine can reach the CIFAR download host")
    probes, downloads = [], []

    def probe(*args):
        probes.append(args)
        return host_is_reachable(*args)

    monkeypatch.setattr(tfds_source, "host_is_reachable", probe)
    monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare",
                        lambda self, *args, **kwargs: downloads.append(self.name))
    with pytest.raises(DatasetUnavailableError) as info:
        load_dataset("cifar10")  # default tfds data dir, nothing prepared here
    with pytest.raises(DatasetUnavailableError):
        load_from_tfds("mnist", tfds_data_dir=str(tmp_path))
    assert probes == [(host, port, 3.0), (*TFDS_DOWNLOAD_HOSTS["mnist"], 3.0)]
    assert downloads == []
    assert all(option in str(info.value) for option in OPTIONS)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_host_is_reachable_with_a_local_server_and_a_closed_port():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        assert host_is_reachable("127.0.0.1", port, 2.0)
    assert not host_is_reachable("127.0.0.1", port, 2.0)  # closed now
    assert not host_is_reachable("no-such-host.invalid", 443, 1.0)


def test_host_is_reachable_does_not_wait_for_a_hanging_lookup(monkeypatch):
    """getaddrinfo ignores socket time-outs: the probe answers False while the lookup
    still hangs, instead of waiting for it."""
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def hanging_connection(address, timeout):
        started.set()
        release.wait(60)
        finished.set()
        raise OSError("lookup released")

    monkeypatch.setattr(tfds_source.socket, "create_connection", hanging_connection)
    try:
        assert not host_is_reachable("hanging.invalid", 443, 0.2)
        assert started.wait(10) and not finished.is_set()
    finally:
        release.set()
