"""Start-up output a user needs, and nothing else: TensorFlow's import noise filtered.

On a machine without a GPU, importing TensorFlow and initialising its devices prints
lines such as `Could not find cuda drivers on your machine`, `failed call to cuInit`
(an E-level line on every CPU-only machine) and `All log messages before
absl::InitializeLog() is called are written to STDERR`, from C++ code that
`TF_CPP_MIN_LOG_LEVEL` does not silence. `load_tensorflow()` imports TensorFlow and
initialises its devices with the process's stderr captured, then writes back every
captured line that is not one of these known notices, so real errors still show.
"""

import contextlib
import os
import re
import sys
import tempfile

NOISE = (
    r"All log messages before absl::InitializeLog\(\) is called",
    r"cudart_stub\.cc.*Could not find cuda drivers",
    r"cuda_platform\.cc.*failed call to cuInit",
    r"cuda_executor\.cc.*",
    r"cpu_feature_guard\.cc",
    r"To enable the following instructions:.*rebuild TensorFlow",
    r"oneDNN custom operations are on",
    r"Unable to register cu(DNN|FFT|BLAS) factory",
    r"computation placer already registered",
    r"TF-TRT Warning",
)


def _gpu_expected():
    """A machine that should have a GPU: then CUDA messages are worth seeing."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    return os.path.exists("/dev/nvidia0") and visible not in ("", "-1")


def apply():
    """Environment settings that must precede the TensorFlow import."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@contextlib.contextmanager
def _filtered_stderr(patterns=NOISE):
    """Captures file descriptor 2 and writes back the lines not matching `patterns`."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            noise = re.compile("|".join(patterns))
            kept = [line for line in capture.read().decode(errors="replace").splitlines()
                    if line.strip() and not noise.search(line)]
            if kept:
                print("\n".join(kept), file=sys.stderr)


def load_tensorflow(initialize=True):
    """Imports TensorFlow and initialises its devices with the start-up notices filtered.

    Args:
        initialize: also run a first op (the CUDA notices come then); False leaves the
            eager context untouched, as `tf.distribute.MultiWorkerMirroredStrategy`
            needs to configure it itself.

    Returns:
        The `tensorflow` module.
    """
    apply()
    patterns = NOISE if not _gpu_expected() else NOISE[:1] + NOISE[4:]
    with _filtered_stderr(patterns):
        import tensorflow as tf

        tf.config.list_physical_devices()
        if initialize:
            tf.constant(0.0) + 1.0  # the first op creates the eager context (cuInit)
    tf.get_logger().setLevel("ERROR")
    from absl import logging as absl_logging

    absl_logging.set_verbosity(absl_logging.ERROR)  # e.g. tfds' "Variant folder" notices
    return tf
