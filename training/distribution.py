"""tf.distribute strategies by name, and which worker writes the run's files.

- "none": the default strategy (one device).
- "mirrored": `tf.distribute.MirroredStrategy` over the visible GPUs (without GPUs, over
  the logical CPU devices, e.g. two made with `tf.config.set_logical_device_configuration`).
- "multi_worker": `tf.distribute.MultiWorkerMirroredStrategy`, configured by the
  `TF_CONFIG` environment variable ({"cluster": {"worker": [...]}, "task": {"type":
  "worker", "index": i}}); every worker runs the same command, worker 0 (the chief)
  writes the run's folder and the others write to a scratch folder.

Keras scales each replica's loss and `add_loss` terms by 1 / replicas and sums the
gradients, so a per-replica batch of b on r replicas trains like one batch of r·b
(batch-norm statistics are synchronized across replicas by the models that ask for it).
"""

import json
import os

import tensorflow as tf

from infodl.checks import check_choice
from infodl.choices import DISTRIBUTION_STRATEGIES


def make_strategy(name):
    """The `tf.distribute.Strategy` named `name` (see the module docstring).

    Raises:
        ValueError: an unknown name, or "multi_worker" without a valid TF_CONFIG.
    """
    check_choice(name, "distribution_strategy", DISTRIBUTION_STRATEGIES)
    if name == "none":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        devices = (tf.config.list_logical_devices("GPU")
                   or tf.config.list_logical_devices("CPU"))
        return tf.distribute.MirroredStrategy([device.name for device in devices])
    try:
        cluster = json.loads(os.environ.get("TF_CONFIG", ""))["cluster"]["worker"]
    except (ValueError, KeyError, TypeError):
        raise ValueError("Expected the TF_CONFIG environment variable to describe the "
                         "workers for distribution_strategy='multi_worker'. Received: "
                         f"TF_CONFIG={os.environ.get('TF_CONFIG')!r}") from None
    if not cluster:
        raise ValueError("Expected at least one worker in TF_CONFIG. Received: none")
    return tf.distribute.MultiWorkerMirroredStrategy()


def is_chief(strategy):
    """True for the worker that writes the run's files (always, without multi-worker)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not getattr(strategy.extended, "_in_multi_worker_mode",
                                       lambda: False)():
        return True
    return resolver.task_type in (None, "chief") or (
        resolver.task_type == "worker" and resolver.task_id == 0)
