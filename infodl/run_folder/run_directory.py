"""Protects a log directory: one owner at a time, resume the same config, refuse another."""

import contextlib
import json
import os
import pathlib
import shutil

from infodl.run_folder.atomic import write_json_atomic
from infodl.run_folder.lock import LOCK_FILE, acquire_run_folder, release_run_folder

CONFIG_FILE = "config.json"
BOOKKEEPING = (CONFIG_FILE, LOCK_FILE)  # what a run writes before its first step


def _differences(old, new, ignore, defaults):
    old = {**{k: v for k, v in defaults.items() if k in new}, **old}
    keys = (set(old) | set(new)) - set(ignore)
    return {k: (old.get(k), new.get(k)) for k in sorted(keys) if old.get(k) != new.get(k)}


def prepare_log_dir(log_dir, config, overwrite=False, resumable_keys=(), defaults=None):
    """Makes `log_dir` ready for a run of `config` and says whether it resumes.

    First this process takes the folder's lock (`infodl.run_folder.lock`) for the rest
    of its life: a folder that another live process holds is refused with
    `RunFolderInUseError` (a FileExistsError) naming that process, before anything in
    it is read or deleted. Then:

    - missing or empty folder: created, config written → "new";
    - folder of a run with the same config (keys in `resumable_keys`, e.g. the number of
      steps, may differ) → "resume";
    - anything else → FileExistsError naming the differences, unless `overwrite`, which
      empties the folder first → "new".

    Args:
        log_dir: the run's folder.
        config: a JSON-serializable dict describing the run.
        overwrite: allow deleting a folder that holds another run.
        resumable_keys: config keys that may change between a run and its resumption.
        defaults: {key: default} of the settings; a key missing from the stored config
            (a setting added to the project after the run started) counts as its
            default, so such a run resumes when the new setting is left at its default.

    Returns:
        "new" or "resume".
    """
    log_dir = pathlib.Path(log_dir)
    config = json.loads(json.dumps(config))  # normalise tuples → lists
    config_path = log_dir / CONFIG_FILE
    if log_dir.exists() and not log_dir.is_dir():
        raise FileExistsError(f"log_dir {log_dir} exists and is not a folder")
    for locked in (False, True):  # a foreign folder is refused before a .lock is put in it
        if locked:
            acquire_run_folder(log_dir)
        elif (log_dir / LOCK_FILE).exists():
            # A run of this project holds (or held) it, maybe still before its config.json
            # (its atomic write's temporary file can be there): the lock decides first.
            continue
        contents = [p for p in log_dir.iterdir() if p.name != LOCK_FILE] \
            if log_dir.is_dir() else []
        if contents and not overwrite and not config_path.exists():
            raise FileExistsError(
                f"log_dir {log_dir} is not empty and holds no {CONFIG_FILE} (not a run of "
                "this project); choose another log_dir, or pass overwrite=True to delete it")
    if contents:
        if overwrite:
            for path in contents:  # the lock stays: this process keeps the folder
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
        else:
            try:
                previous = json.loads(config_path.read_text())
            except json.JSONDecodeError as error:
                raise FileExistsError(
                    f"{config_path} is corrupt ({error}); choose another log_dir, or pass "
                    "overwrite=True to delete the old run") from error
            differences = _differences(previous, config, resumable_keys, defaults or {})
            if differences:
                listed = ", ".join(f"{k} {a!r} -> {b!r}" for k, (a, b) in differences.items())
                raise FileExistsError(
                    f"log_dir {log_dir} holds a run of a different config ({listed}); "
                    "choose a new log_dir for this config (or pass overwrite=True to "
                    "delete the old run)")
            write_json_atomic(config_path, config)
            return "resume"
    log_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(config_path, config)
    return "new"


def holds_only_bookkeeping(log_dir):
    """True when `log_dir` (and every folder in it) holds no file but config.json and
    the lock: a run that started there has not trained or written anything yet."""
    for _, _, files in os.walk(log_dir):
        if set(files) - set(BOOKKEEPING):
            return False
    return True


@contextlib.contextmanager
def undone_if_failed_at_start(log_dir):
    """A block that runs an experiment into `log_dir`; if it fails before the run wrote
    anything but its bookkeeping (config.json, lock), the folder is left as it was: removed
    when the block created it, emptied when it was an empty folder. So the corrected
    command is not refused for "a different config", and nothing half-made is left.

    Every experiment's command runs in this block (`infodl.experiments.cli`); a folder of
    an earlier run, or one the run wrote into, is left alone.

    Example:
        >>> import os
        >>> from infodl.run_folder.run_directory import prepare_log_dir, undone_if_failed_at_start
        >>> try:
        ...     with undone_if_failed_at_start("runs/new"):
        ...         _ = prepare_log_dir("runs/new", {"lr": 0.1})
        ...         raise FileNotFoundError("no such data file")  # fails before step 1
        ... except FileNotFoundError:
        ...     pass
        >>> os.path.exists("runs/new")
        False
    """
    path = pathlib.Path(log_dir)
    existed = path.is_dir()
    fresh = not path.exists() or (existed and not any(path.iterdir()))
    try:
        yield
    except BaseException:
        if fresh and path.is_dir() and holds_only_bookkeeping(path):
            release_run_folder(path)
            shutil.rmtree(path, ignore_errors=True)
            if existed:
                path.mkdir(exist_ok=True)
        raise
