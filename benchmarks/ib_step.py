"""Time of one layer-wise IB iteration next to one cross-entropy step of the same net.

    python -m benchmarks.ib_step [--critic_hidden_units 1500,1500] [--batch_size 256]
                                 [--critic_steps 10] [--layer 1] [--pairs 20]

The net is P3's MNIST MLP 784-512-512-10. One IB iteration of layer i (P3 §5) is k
steps of both critics (MINE D_y on (one-hot y, L_i), AA-MINE D_x on (F_i(x), L_i + eps))
and one Adam step of layer i, all in one compiled graph (`IBIterationLoop.run`); the
layers below i are frozen and cached, as in `LayerwiseIBTrainer`. One cross-entropy step
is one Adam step of the whole net on the same batch size, compiled the same way (a
`tf.range` loop in one `tf.function`). Both run on random MNIST-shaped data (N = 600,
the 1 % split). Each measurement times `--repeat` iterations (steps) in one call; IB and
CE measurements alternate (ABBA), and the ratio is the median over adjacent pairs, so
that both sides of a pair see the same machine load.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf

from infodl.models.ib_nets import build_ib_network
from infodl.training.ib_blocks import split_blocks
from infodl.training.ib_critics import IBCritics
from infodl.training.ib_iteration import IBIterationLoop
from infodl.training.ib_layerwise_trainer import forward
from infodl.training.ib_settings import IBLossWeights, IBTrainerSettings


def make_data(num=600, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (num, 28, 28, 1)).astype("float32")
    return images, rng.integers(0, 10, num).astype("int64")


def ib_loop(args, images, labels):
    model = build_ib_network("mlp_512_512", (28, 28, 1), post_trained_logits=True, seed=0)
    stem, blocks, _ = split_blocks(model)
    cached = forward([stem] + blocks[:args.layer - 1], images)
    block = blocks[args.layer - 1]
    settings = IBTrainerSettings(critic_hidden_units=args.critic_hidden_units,
                                 batch_size=args.batch_size, critic_steps=args.critic_steps)
    critics = IBCritics(int(np.prod(block(cached[:2]).shape[1:])), 10, settings, seed=0)
    return IBIterationLoop(block, block.trainable_variables, critics, cached, labels, 10,
                           settings, IBLossWeights(label=1.0, input=1e-3), seed=0)


def cross_entropy_steps(args, images, labels):
    model = build_ib_network("mlp_512_512", (28, 28, 1), seed=0)
    loop = IBIterationLoop(lambda x, training: model(x, training=training),
                           model.trainable_variables, None, images, labels, 10,
                           IBTrainerSettings(batch_size=args.batch_size),
                           IBLossWeights(ce=1.0, label=0.0, input=0.0), seed=0)
    return loop


def timed(function, repeat):
    start = time.perf_counter()
    function(tf.constant(repeat)).numpy()
    return (time.perf_counter() - start) / repeat


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--critic_hidden_units", default="1500,1500")
    parser.add_argument("--batch_size", type=int, default=256)
    parser.add_argument("--critic_steps", type=int, default=10)
    parser.add_argument("--layer", type=int, default=1, choices=(1, 2, 3))
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    args.critic_hidden_units = tuple(int(u) for u in args.critic_hidden_units.split(","))
    images, labels = make_data()
    ib = ib_loop(args, images, labels)
    ce = cross_entropy_steps(args, images, labels)
    ib.run(tf.constant(1))   # trace and build
    ce.run(tf.constant(1))
    ib_times, ce_times, ratios = [], [], []
    for pair in range(args.pairs):
        order = (ib, ce) if pair % 2 == 0 else (ce, ib)
        measured = {id(loop): timed(loop.run, args.repeat) for loop in order}
        ib_times.append(measured[id(ib)])
        ce_times.append(measured[id(ce)])
        ratios.append(measured[id(ib)] / measured[id(ce)])
    quartiles = statistics.quantiles(ratios, n=4)
    units = "-".join(map(str, args.critic_hidden_units))
    print(f"net 784-512-512-10, IB layer {args.layer}, critics {units}, k = "
          f"{args.critic_steps}, batch {args.batch_size}")
    print(f"IB iteration      {1e3 * statistics.median(ib_times):8.1f} ms (median of "
          f"{args.pairs} x {args.repeat} iterations)")
    print(f"CE step           {1e3 * statistics.median(ce_times):8.1f} ms (median of "
          f"{args.pairs} x {args.repeat} steps)")
    print(f"ratio IB / CE = {statistics.median(ratios):.1f}  (median of {args.pairs} "
          f"adjacent pairs, interquartile {quartiles[0]:.1f}-{quartiles[2]:.1f}); "
          f"{keras.backend.backend()} backend, {os.cpu_count()} CPU cores")


if __name__ == "__main__":
    main()
