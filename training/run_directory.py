"""Protects a log directory: resume the same config, refuse a different one."""

import json
import os
import pathlib
import shutil

CONFIG_FILE = "config.json"


def _differences(old, new, ignore, defaults):
    old = {**{k: v for k, v in defaults.items() if k in new}, **old}
    keys = (set(old) | set(new)) - set(ignore)
    return {k: (old.get(k), new.get(k)) for k in sorted(keys) if old.get(k) != new.get(k)}


def write_json_atomic(path, payload):
    """Writes JSON to `path` through a temporary file and a rename."""
    path = pathlib.Path(path)
    partial = path.with_name(f".partial-{path.name}")
    partial.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    os.replace(partial, path)


def prepare_log_dir(log_dir, config, overwrite=False, resumable_keys=(), defaults=None):
    """Makes `log_dir` ready for a run of `config` and says whether it resumes.

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
    if log_dir.is_dir() and any(log_dir.iterdir()):
        if overwrite:
            shutil.rmtree(log_dir)
        elif not config_path.exists():
            raise FileExistsError(
                f"log_dir {log_dir} is not empty and holds no {CONFIG_FILE} (not a run of "
                "this project); choose another log_dir, or pass overwrite=True to delete it")
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
