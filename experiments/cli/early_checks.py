"""What a run can check before TensorFlow loads: its output folder, its data, its sizes.

The command line calls each config's `early_checks()` right after the flags are read, so
that a `--log_dir` naming a file, an unwritable folder, a missing, truncated or random
data file, or a `--train_fraction` too small for every class ends in one line within
seconds, instead of after TensorFlow and the data have loaded, and before anything is
created in the run folder. The checks here are the parts configs use; this module
imports neither TensorFlow nor Keras and names no experiment.

Example:
    >>> from infodl.experiments.cli.early_checks import check_log_dir
    >>> with open("notes.txt", "w") as file:
    ...     _ = file.write("not a folder")
    >>> check_log_dir("notes.txt")
    Traceback (most recent call last):
    ValueError: Expected log_dir to be a folder. Received: log_dir='notes.txt', which is a file
"""

import os
import pathlib
import zipfile


def check_log_dir(log_dir, name="log_dir"):
    """Refuses a `log_dir` that is a file or cannot be created or written.

    Creates nothing: an existing folder must be writable, a missing one must have a
    writable folder as its nearest existing parent.

    Args:
        log_dir: the run folder.
        name: the argument named in the message.

    Raises:
        ValueError: one line naming the folder and the problem.
    """
    path = pathlib.Path(log_dir).expanduser()
    if path.exists() and not path.is_dir():
        raise ValueError(f"Expected {name} to be a folder. Received: {name}={str(log_dir)!r}, "
                         "which is a file")
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(f"Expected {name} to be a folder. Received: {name}={str(log_dir)!r}, "
                         f"inside {str(existing)!r}, which is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        what = "it" if existing == path else f"its parent {str(existing)!r}"
        raise ValueError(f"Expected a writable {name}. Received: {name}={str(log_dir)!r}, "
                         f"but {what} cannot be written")


def check_keras_file(path, name="checkpoint"):
    """Refuses a file that cannot be a saved Keras model: empty, or not the zip archive
    (holding config.json) of the `.keras` format.

    Args:
        path: the file.
        name: the argument named in the message.

    Raises:
        ValueError: one line saying what the file is.
    """
    path = pathlib.Path(path)
    size = path.stat().st_size
    expected = f"Expected {name} to be a saved Keras model (a .keras zip archive)."
    if size == 0:
        raise ValueError(f"{expected} Received: {name}={str(path)!r}, an empty file (0 bytes)")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{expected} Received: {name}={str(path)!r}, {size} bytes that are "
                         "not a Keras model (not a zip archive)")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError) as error:
        raise ValueError(f"{expected} Received: {name}={str(path)!r}, a damaged zip archive "
                         f"({error})") from None
    if "config.json" not in names:
        raise ValueError(f"{expected} Received: {name}={str(path)!r}, a zip archive without "
                         "the config.json of a Keras model")


def check_folders_exist(folders, name="log_dir"):
    """Refuses a folder to read (or one of several) that is missing or is a file.

    Raises:
        FileNotFoundError: one line naming the first such folder.
    """
    for folder in [folders] if isinstance(folders, str) else folders:
        if not os.path.isdir(folder):
            what = "a file" if os.path.exists(folder) else "no such folder"
            raise FileNotFoundError(f"Expected {name} to be a folder of finished runs. "
                                    f"Received: {name}={folder!r}, {what}")


def check_checkpoint(checkpoint, name="checkpoint"):
    """Refuses a checkpoint path that does not exist, or a `.keras` file that is no model.

    Raises:
        FileNotFoundError / ValueError: one line naming the path.
    """
    if not os.path.exists(checkpoint):
        raise FileNotFoundError(f"{name} {checkpoint} does not exist")
    if os.path.isfile(checkpoint) and checkpoint.endswith(".keras"):
        check_keras_file(checkpoint, name)


# Config fields that name a file or folder a run reads (None = not used).
INPUT_PATHS = ("data_dir", "var_u_path", "init_model", "checkpoint")


def check_sweep_runs(experiments, experiment, runs):
    """What every run of a sweep reads, checked before the first starts (no TensorFlow).

    Each input path of each run (`INPUT_PATHS`) must exist, and each distinct local data
    source (dataset, data_dir, ...) must read and subset as the runs ask
    (`infodl.data.dataset.check_dataset_early`, once per source), so that a typo in
    `--data_dir` fails in one line at once instead of failing the runs one by one.

    Args:
        experiments: the registry ({name: experiment}); experiment: the sweep's.
        runs: the planned runs (`infodl.experiments.sweeps.plan.plan_runs`), with their values.

    Raises:
        FileNotFoundError / ValueError: one line naming the setting, the seed and the input.
    """
    from infodl.data.dataset import check_dataset_early  # NumPy only

    checked = set()
    for run in runs:
        values, where = run["values"], f"setting {run['setting']!r}, seed {run['seed']}"
        for name in INPUT_PATHS:
            path = values.get(name)
            if isinstance(path, str) and not os.path.exists(os.path.expanduser(path)):
                raise FileNotFoundError(f"Expected {name} to exist. Received: {name}={path!r} "
                                        f"(in {where}), which does not exist")
        source = tuple(values.get(k) for k in ("dataset", "data_dir", "train_fraction",
                                               "allow_partial_files"))
        if values.get("data_dir") is None or source in checked:
            continue
        checked.add(source)
        try:
            check_dataset_early(values["dataset"], data_dir=values["data_dir"],
                                train_fraction=values.get("train_fraction", 1.0),
                                allow_partial_files=bool(values.get("allow_partial_files")))
        except (ValueError, FileNotFoundError) as error:
            raise type(error)(f"In {where}: {error}") from None
