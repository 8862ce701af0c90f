"""ResNet-32 training throughput in mixed_bfloat16 (and mixed_float16) vs float32.

    python -m benchmarks.mixed_precision [--pairs 30] [--batch_size 128] [--policy mixed_bfloat16]

Both models train on the same synthetic CIFAR-shaped batches, their single training
steps alternated (ABBA order, `benchmarks.abba`). Prints images/s of each and the median
pair ratio mixed / float32. GPUs with tensor cores gain most; on a CPU the gain depends
on native bf16 instructions (AVX-512 BF16 / AMX), which the script reports from
/proc/cpuinfo.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras

from benchmarks.abba import SteppedTrainer, compare, ratio_line, synthetic_batches
from infodl.models.resnet import build_resnet


def make_model(policy):
    keras.config.set_dtype_policy(policy)
    try:
        model = build_resnet("resnet32", num_classes=10, alpha2=0.03)
        model.compile(keras.optimizers.SGD(0.1, momentum=0.9),
                      keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    finally:
        keras.config.set_dtype_policy("float32")
    return model


def cpu_flags():
    try:
        text = open("/proc/cpuinfo").read()
    except OSError:
        return "unknown"
    wanted = ("avx512_bf16", "amx_bf16", "avx512f", "avx2")
    found = [flag for flag in wanted if f" {flag}" in text]
    return ", ".join(found) or "none of " + ", ".join(wanted)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=30)
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument("--policy", default="mixed_bfloat16",
                        choices=("mixed_bfloat16", "mixed_float16"))
    args = parser.parse_args()
    print(f"CPU flags: {cpu_flags()}; cores: {os.cpu_count()}")
    trainers = {"float32": SteppedTrainer(make_model("float32")),
                args.policy: SteppedTrainer(make_model(args.policy))}
    times = compare(trainers, synthetic_batches(args.batch_size), args.pairs)
    ratio_line(times, args.policy, "float32", args.batch_size, f"{args.policy} / float32")


if __name__ == "__main__":
    main()
