"""Resuming a run's TensorBoard events: drop the points a resumed run writes again.

A run killed after its last checkpoint (step S) has already written events for steps
after S; resumed from S it writes them again. `truncate_events(log_dir, S)` rewrites
each events file of the folder without the events of steps > S (atomically, file by
file), so every scalar has exactly one point per step. Runs whose steps restart per
stage (IB training: the iterations of each layer) say instead when their checkpoint was
written: `truncate_events(log_dir, written_before=t)` drops the events written after the
time `t` (a `time.time()` of the same process, the events' `wall_time`). A run resumed
without a checkpoint drops every event (`last_step=-1`). A record cut short by the kill
ends the file there. TensorFlow is the reader and writer of the TFRecord format here.

Every experiment that resumes calls this once, before its first new event: ResNet and
InvNet with the step of their Keras checkpoint, the IB experiments with the time of theirs.
"""

import glob
import os

import tensorflow as tf

from infodl.run_folder.atomic import atomic_write
from infodl.run_folder.summary_writer import SummaryWriter


def _events(path):
    """The serialized events of a file, stopping at a record cut short by a crash."""
    records = []
    try:
        for record in tf.data.TFRecordDataset(path):
            records.append(record.numpy())
    except tf.errors.DataLossError:
        pass
    return records


def truncate_events(log_dir, last_step=None, written_before=None):
    """Removes the events a run resumed from its checkpoint writes again.

    Args:
        log_dir: the run folder (its own `events.out.tfevents.*`, not sub-folders).
        last_step: the step of the checkpoint the run resumes from: events of later
            steps go (-1: every event).
        written_before: the time the checkpoint was written (`time.time()`): events
            written later go.

    Returns:
        The number of events removed.
    """
    if last_step is None and written_before is None:
        raise ValueError("Expected last_step or written_before. Received: neither")
    removed = 0
    for path in sorted(glob.glob(os.path.join(os.fspath(log_dir), "events.out.tfevents.*"))):
        records = _events(path)
        kept = []
        for record in records:
            event = tf.compat.v1.Event.FromString(record)
            keep = ((last_step is None or event.step <= last_step)
                    and (written_before is None or event.wall_time <= written_before))
            if keep or event.HasField("file_version"):
                kept.append(record)
        if len(kept) == len(records) and os.path.getsize(path) == sum(
                len(r) + 16 for r in records):
            continue
        removed += len(records) - len(kept)
        SummaryWriter.close_log_dir(log_dir)  # a writer of this process would write on
        with atomic_write(path) as partial, tf.io.TFRecordWriter(partial) as writer:
            for record in kept:
                writer.write(record)
    return removed


def read_scalars(log_dir):
    """{tag: [(step, value), ...]} of the scalar summaries in `log_dir`'s events files."""
    scalars = {}
    for path in sorted(glob.glob(os.path.join(os.fspath(log_dir), "events.out.tfevents.*"))):
        for record in _events(path):
            event = tf.compat.v1.Event.FromString(record)
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name != "scalars":
                    continue
                number = (float(tf.make_ndarray(value.tensor)) if value.HasField("tensor")
                          else float(value.simple_value))
                scalars.setdefault(value.tag, []).append((int(event.step), number))
    return {tag: sorted(points) for tag, points in scalars.items()}
