"""Resuming TensorBoard events (issue 30, case 6): drop what a resumed run writes again, by
step (ResNet, InvNet) or by the time its checkpoint was written (IB: steps restart per
layer); read back with TensorBoard's own reader."""

import tensorflow as tf

from infodl.run_folder.event_files import truncate_events
from infodl.run_folder.summary_writer import SummaryWriter
from tests.experiments.event_reading import event_points


def _write(folder, points):
    """An events file with the scalar points [(tag, step, wall_time)]."""
    folder.mkdir(parents=True, exist_ok=True)
    with tf.io.TFRecordWriter(str(folder / "events.out.tfevents.1.host.1.v2")) as writer:
        writer.write(tf.compat.v1.Event(wall_time=1.0, file_version="brain.Event:2")
                     .SerializeToString())
        for tag, step, wall_time in points:
            summary = tf.compat.v1.Summary(value=[tf.compat.v1.Summary.Value(
                tag=tag, simple_value=float(step))])
            writer.write(tf.compat.v1.Event(wall_time=wall_time, step=step, summary=summary)
                         .SerializeToString())


# Layer-wise IB: hidden_1 iterations 1..4, then hidden_2 restarts at 1; the checkpoint of
# (hidden_2, 1) was written at t = 105.5, then the run was killed.
POINTS = [("h1", 1, 101.0), ("h1", 2, 102.0), ("h1", 3, 103.0), ("h1", 4, 104.0),
          ("h2", 1, 105.0), ("h2", 2, 106.0), ("h2", 3, 107.0)]


def test_by_the_checkpoint_s_time_when_steps_restart_per_stage(tmp_path):
    _write(tmp_path, POINTS)
    assert truncate_events(tmp_path, written_before=105.5) == 2
    assert sorted(event_points(tmp_path)) == [("h1", 1), ("h1", 2), ("h1", 3), ("h1", 4),
                                              ("h2", 1)]
    assert truncate_events(tmp_path, written_before=105.5) == 0  # idempotent


def test_by_step_and_everything_without_a_checkpoint(tmp_path):
    _write(tmp_path / "a", POINTS)
    assert truncate_events(tmp_path / "a", last_step=2) == 3
    assert sorted(event_points(tmp_path / "a")) == [("h1", 1), ("h1", 2), ("h2", 1),
                                                    ("h2", 2)]
    _write(tmp_path / "b", POINTS)
    assert truncate_events(tmp_path / "b", last_step=-1) == 7
    assert event_points(tmp_path / "b") == {}


def test_the_folder_s_open_writer_is_closed_first(tmp_path):
    """A run resumed in the same process: its next events are not lost in a replaced file."""
    writer = SummaryWriter.for_log_dir(tmp_path)
    for step in range(1, 4):
        writer.scalar("x", step, step)
    writer.flush()
    truncate_events(tmp_path, last_step=1)
    SummaryWriter.for_log_dir(tmp_path).scalar("x", 2.0, 2)
    SummaryWriter.close_log_dir(tmp_path)
    assert sorted(event_points(tmp_path)) == [("x", 1), ("x", 2)]
