"""Atomic, step-numbered Keras checkpoints with resume from the latest one."""

import os
import pathlib
import re


CHECKPOINT_PATTERN = re.compile(r"^ckpt-(\d+)\.keras$")


def list_checkpoints(directory):
    """(step, path) of the complete checkpoints in `directory`, oldest first."""
    directory = pathlib.Path(directory)
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = CHECKPOINT_PATTERN.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def latest_checkpoint(directory):
    """Path of the newest checkpoint in `directory`, or None."""
    found = list_checkpoints(directory)
    return found[-1][1] if found else None


def save_checkpoint(model, directory, step, keep=3):
    """Saves `model` (weights + optimizer state) as ckpt-{step}.keras, atomically.

    The file is written under a temporary name and renamed, so a crash never leaves a
    half-written checkpoint that a later run would resume from. Only the newest `keep`
    checkpoints are kept.
    """
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"ckpt-{int(step):08d}.keras"
    partial = directory / f".partial-ckpt-{int(step):08d}.keras"
    model.save(partial)
    os.replace(partial, final)
    for _, old in list_checkpoints(directory)[:-keep]:
        old.unlink()
    return final


def restore_checkpoint(model, path):
    """Loads weights and optimizer state of a checkpoint into a compiled `model`.

    Returns the global step (optimizer iterations) of the restored state.
    """
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    try:
        model.load_weights(str(path))
    except Exception as error:  # corrupt zip, wrong architecture, ...
        raise ValueError(f"Cannot restore checkpoint {path}: {error}") from error
    return int(model.optimizer.iterations.numpy()) if model.optimizer is not None else 0
