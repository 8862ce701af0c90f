"""Reading a run folder's TensorBoard events with TensorBoard's own reader (tests)."""

import collections
import glob
import os


def event_points(folder):
    """Counter of (tag, step) over every events file directly in `folder`, as TensorBoard's
    `summary_iterator` reads them."""
    import tensorflow as tf

    points = collections.Counter()
    for path in sorted(glob.glob(os.path.join(os.fspath(folder), "events.out.tfevents.*"))):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                points[(value.tag, int(event.step))] += 1
    return points


def duplicate_points(folder):
    """{(tag, step): count} of the points written more than once in `folder`."""
    return {key: count for key, count in event_points(folder).items() if count > 1}
