"""The one atomic write of the project: write `.partial-<name>`, fsync, then `os.replace`.

Every file or folder a run leaves for a later run to read (config.json, results,
metrics.jsonl after a truncation, events files, Keras and TensorFlow checkpoints) is
written through `atomic_write`, so a crash or a SIGKILL leaves either the old content
or the new one, never half of it, and never a `.partial` that a reader would pick up:

    with atomic_write(path) as partial:      # a library writes the file (or folder)
        model.save(partial)
    write_json_atomic(path, {"step": 10})    # text, bytes and JSON are shortcuts

The partial is `.partial-<name>` beside the target: it keeps the extension (Keras saves
only to a `.keras` name) and, hidden, matches no reader's pattern (`ckpt-*`,
`events.out.tfevents.*`). `os.replace` is atomic on POSIX file systems (a rename within
one folder). The data is fsynced before the rename and the folder after it, so the
rename never reaches the disk before the content it names.

Example:
    >>> import os
    >>> from infodl.run_folder.atomic import atomic_write, write_text_atomic
    >>> write_text_atomic("runs/a/notes.txt", "done\\n")
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> with atomic_write("runs/a/ckpt-00000010.keras") as partial:
    ...     print(os.path.basename(partial))  # written here, renamed when the block ends
    ...     model.save(partial)
    .partial-ckpt-00000010.keras
    >>> sorted(os.listdir("runs/a"))
    ['ckpt-00000010.keras', 'notes.txt']
"""

import contextlib
import json
import os
import shutil

PARTIAL_PREFIX = ".partial-"


def partial_path(path):
    """The temporary name `.partial-<name>`, beside `path`, that `atomic_write` writes."""
    folder, name = os.path.split(os.fspath(path))
    return os.path.join(folder, PARTIAL_PREFIX + name)


def _remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.remove(path)


def _fsync(path):
    """Flushes a file, or every file of a folder and the folder itself, to the disk."""
    paths = [path]
    if os.path.isdir(path):
        paths = [os.path.join(folder, name) for folder, _, names in os.walk(path)
                 for name in names] + [folder for folder, _, _ in os.walk(path)]
    for name in paths:
        try:
            descriptor = os.open(name, os.O_RDONLY)
        except OSError:  # a folder that cannot be opened (some platforms)
            continue
        try:
            os.fsync(descriptor)
        except OSError:  # fsync of a folder is not supported everywhere
            pass
        finally:
            os.close(descriptor)


@contextlib.contextmanager
def atomic_write(path):
    """Yields `.partial-<name>` to write; on success it replaces `path` in one rename.

    The block writes the partial path (a file, or a folder that a library such as
    `tf.train.Checkpoint` fills). If the block raises, the partial is removed and `path`
    keeps its old content; a partial left by an earlier crash is removed first.

    Args:
        path: the final file or folder.

    Yields:
        The partial path (a str), in the same folder as `path`.
    """
    path = os.fspath(path)
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    partial = partial_path(path)
    _remove(partial)
    try:
        yield partial
        if not os.path.lexists(partial):
            raise FileNotFoundError(f"the writer of {path} wrote nothing to {partial}")
        _fsync(partial)
        if os.path.isdir(partial) and os.path.isdir(path):
            _remove(path)  # a folder replaces only a missing or empty one
        os.replace(partial, path)
        _fsync(folder)
    except BaseException:
        _remove(partial)
        raise


def write_bytes_atomic(path, data):
    """Writes `data` (bytes) to `path` atomically."""
    with atomic_write(path) as partial:
        with open(partial, "wb") as handle:
            handle.write(data)


def write_text_atomic(path, text):
    """Writes `text` (UTF-8) to `path` atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path, payload):
    """Writes `payload` as indented, key-sorted JSON to `path` atomically."""
    write_text_atomic(path, json.dumps(payload, indent=2, sort_keys=True) + "\n")


def read_json(path, way_out=None):
    """The JSON of a run's file, or one line naming the file (and `way_out`, what to do).

    Args:
        path: the file (it exists).
        way_out: e.g. "delete it to train that seed again"; None = no advice.

    Raises:
        ValueError: `Corrupt file <path> (<what the parser says>); <way_out>`.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        advice = f"; {way_out}" if way_out else ""
        raise ValueError(f"Corrupt file {path} ({error}){advice}") from None
