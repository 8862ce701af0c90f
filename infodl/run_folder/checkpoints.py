"""Checkpoints of a run: the keep-N policy, the two formats, and the Keras-file one.

A run's `checkpoints/` folder holds the newest `KEEP_CHECKPOINTS` checkpoints, each
written atomically (`infodl.run_folder.atomic`), so a crash never leaves a
half-written checkpoint that a later run would resume from. Which format a run uses,
and why:

    runs                     format                          why
    -----------------------  ------------------------------  ----------------------------
    ResNet (P1, P2), InvNet  `ckpt-<step>.keras`, one file   the model and its optimizer
    (P2 §4.2): `model.fit`   (this module)                   are the whole state;
                                                             `model.save` stores both, the
                                                             optimizer's iterations are
                                                             the global step, and the file
                                                             loads in any process with
                                                             `infodl.training.load_model`
    IB layer-wise and        `ckpt-<stage>-<iteration>/`     the state is more than a
    end-to-end (P3):         folder: `tf.train.Checkpoint`   model: critics, two Adam
    custom loops             + `progress.json`               states, the batch and noise
                             (`infodl.training.              generator, moving averages;
                             ib_checkpoint`)                 `tf.train.Checkpoint` stores
                                                             any trackable, and
                                                             `progress.json` says where
                                                             the loop stands

Example:
    >>> from infodl.run_folder.checkpoints import (latest_checkpoint, restore_checkpoint,
    ...                                            save_checkpoint)
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> _ = model.fit(np.ones((4, 2)), np.ones(4), verbose=0)  # 1 step: builds the optimizer
    >>> step = int(model.optimizer.iterations)
    >>> path = save_checkpoint(model, "runs/a/checkpoints", step=step)
    >>> latest_checkpoint("runs/a/checkpoints").name
    'ckpt-00000001.keras'
    >>> restore_checkpoint(model, latest_checkpoint("runs/a/checkpoints"))  # the global step
    1
"""

import json
import pathlib
import re
import zipfile

import numpy as np

from infodl.run_folder.atomic import atomic_write

# How many of the newest checkpoints a run keeps, in both formats: two would do for a
# crash during a save (the older one is complete); the third survives a save whose
# state is already bad (a NaN step just before it).
KEEP_CHECKPOINTS = 3
CHECKPOINT_PATTERN = re.compile(r"^ckpt-(\d+)\.keras$")
MODEL_FILE = "model.keras"  # the model an IB run (P3) saves when it is done
# The states of the model's Keras SeedGenerators (dropout masks), stored in the .keras
# zip beside the weights: `model.save` leaves them out (they are not `model.weights`).
SEED_STATES_ENTRY = "infodl_seed_generator_states.json"


def seed_generator_states(model):
    """The state variables of the model's Keras `SeedGenerator`s, in a fixed order.

    Keras keeps them outside `model.weights`, so `model.save` and `load_weights` skip
    them: a resumed run would draw its dropout masks from the initial state again.
    """
    weights = {id(v) for v in model.weights}
    optimizer = getattr(model, "optimizer", None)
    weights |= {id(v) for v in (optimizer.variables if optimizer is not None else [])}
    return [v for v in model.variables
            if id(v) not in weights and v.name == "seed_generator_state"]


def check_keep(keep):
    """`keep` as an int >= 1, or a Keras-style error."""
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        raise ValueError(f"Expected keep >= 1. Received: keep={keep!r}")
    return keep


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


def model_file(path):
    """The `.keras` file of `path`: the file itself, or for a run folder its newest
    `checkpoints/ckpt-*.keras`, else its `model.keras` (what an IB run saves).

    Raises:
        FileNotFoundError: a missing path, or a folder with neither file.
        ValueError: a file that is not a `.keras` file.
    """
    path = pathlib.Path(path)
    if path.is_dir():
        found = latest_checkpoint(path / "checkpoints")
        if found is None and (path / MODEL_FILE).is_file():
            found = path / MODEL_FILE
        if found is None:
            raise FileNotFoundError(f"no model in {path}: expected {path / 'checkpoints'}/"
                                    f"ckpt-*.keras or {path / MODEL_FILE}")
        return found
    if not path.is_file():
        raise FileNotFoundError(f"model file {path} does not exist")
    if path.suffix != ".keras":
        raise ValueError(f"Expected a .keras file or a run folder. Received: path={path}")
    return path


def save_checkpoint(model, directory, step, keep=KEEP_CHECKPOINTS):
    """Saves `model` (weights + optimizer state) as ckpt-{step}.keras, atomically.

    Only the newest `keep` checkpoints are kept.

    Returns:
        The path of the checkpoint.
    """
    keep = check_keep(keep)
    directory = pathlib.Path(directory)
    final = directory / f"ckpt-{int(step):08d}.keras"
    with atomic_write(final) as partial:
        model.save(partial)
        states = [v.numpy().tolist() for v in seed_generator_states(model)]
        with zipfile.ZipFile(partial, "a") as archive:
            archive.writestr(SEED_STATES_ENTRY, json.dumps(states))
    for _, old in list_checkpoints(directory)[:-keep]:
        old.unlink()
    return final


def restore_checkpoint(model, path):
    """Loads weights, optimizer and dropout-RNG state of a checkpoint into a compiled `model`.

    The states of the model's `SeedGenerator`s are restored too when the checkpoint
    holds them (checkpoints written before they were stored leave them as they are).

    Returns the global step (optimizer iterations) of the restored state.
    """
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    try:
        model.load_weights(str(path))
        with zipfile.ZipFile(path) as archive:
            saved = (json.loads(archive.read(SEED_STATES_ENTRY))
                     if SEED_STATES_ENTRY in archive.namelist() else None)
    except Exception as error:  # corrupt zip, wrong architecture, ...
        raise ValueError(f"Cannot restore checkpoint {path}: {error}") from error
    if saved is not None:
        variables = seed_generator_states(model)
        if len(saved) != len(variables):
            raise ValueError(f"Cannot restore checkpoint {path}: it holds {len(saved)} "
                             f"seed generator states; the model has {len(variables)}")
        for variable, state in zip(variables, saved, strict=True):
            variable.assign(np.asarray(state, variable.dtype))
    return int(model.optimizer.iterations.numpy()) if model.optimizer is not None else 0
