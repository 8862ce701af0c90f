"""Mutation testing of the core formulas: each mutant must make its mapped tests fail.

    python -m tests.mutation_check --jobs 2        # every mutant, two at a time
    python -m tests.mutation_check --only kde      # the mutants whose module contains "kde"
    python -m tests.mutation_check --list          # the list, nothing run

A mutant is one line of the library changed the way a plausible bug would change it (a
sign, a divisor, a missing square root, an axis, an off-by-one). The script copies the
repository into a temporary folder once, applies one mutant at a time there (the
checkout is never touched), runs only the tests mapped to it with
`python -m pytest -q -n 0 -x` and restores the line. A mutant is killed when those tests
fail (pytest exit code 1); any other exit (a collection error, a timeout) is reported as
such, not as a kill. Before the mutants, the mapped tests run once on the unmutated copy
and must pass. It prints a Markdown table (module, line, mutation, killed by) and exits
1 if a mutant survived. The table of the last run is in docs/testing.md.

Each entry: (module, the exact text of the line to change — unique in its file —, its
replacement, the test files or node ids that must kill it, what the mutant means).
"""

import argparse
import concurrent.futures
import dataclasses
import datetime
import pathlib
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


@dataclasses.dataclass(frozen=True)
class Mutant:
    module: str
    original: str
    replacement: str
    tests: tuple
    meaning: str


M = Mutant
BOUNDS, MINE_FIT = "estimators/mi_bounds.py", "estimators/mine_fit.py"
MINE_TESTS = ("tests/estimators/test_mine.py::test_bound_functions_match_numpy",
              "tests/estimators/test_mi_bounds.py", "tests/estimators/test_mine_step.py")
CROSS_FIT = ("tests/estimators/test_mine_fit.py::"
             "test_each_half_scores_the_critic_picked_on_the_other_half",)
IB_LOSS = "tests/training/test_ib_iteration.py::test_network_loss_signs_layerwise_and_end_to_end"
SELECTION = ("tests/estimators/test_held_out_fit.py",)
MUTANTS = (
    # the MI bounds (Donsker-Varadhan, NWJ, InfoNCE) of MINE
    M(BOUNDS, "return ops.mean(joint_scores) - log_mean_exp(marginal_scores)",
      "return ops.mean(joint_scores) + log_mean_exp(marginal_scores)", MINE_TESTS,
      "DV bound: sign of the marginal term"),
    M(BOUNDS, "return ops.logsumexp(values, axis=axis) - ops.log(count)",
      "return ops.logsumexp(values, axis=axis)", MINE_TESTS,
      "log-mean-exp without the 1/n"),
    M(BOUNDS, "return ops.mean(joint_scores) - ops.exp(log_mean_exp(marginal_scores) - 1.0)",
      "return ops.mean(joint_scores) - ops.exp(log_mean_exp(marginal_scores))", MINE_TESTS,
      "NWJ bound without its e^-1"),
    M(BOUNDS, "count = ops.cast(num * (num - 1), score_matrix.dtype)",
      "count = ops.cast(num * num, score_matrix.dtype)", MINE_TESTS,
      "off-diagonal mean divided by n^2, not n(n-1)"),
    # MINE's cross-fitting and critic selection
    M(MINE_FIT, "for picked, other in ((0, 1), (1, 0)):",
      "for picked, other in ((0, 0), (1, 1)):", CROSS_FIT,
      "cross-fitting: a critic scored on the half that picked it"),
    M(MINE_FIT, "return (float(np.mean(values)), monitor.curve, monitor.step,",
      "return (float(np.max(values)), monitor.curve, monitor.step,", CROSS_FIT,
      "estimate: the larger half, not the mean"),
    M("estimators/held_out_fit.py", "choice = int(np.argmax(values))",
      "choice = int(np.argmin(values))", SELECTION,
      "selection: the worst critic picked"),
    M("estimators/held_out_fit.py", "if values[choice] > self.best_values[index]:",
      "if values[choice] < self.best_values[index]:", SELECTION,
      "selection: the best step never kept"),
    # the information regularizer (P2 eq. 5-7)
    M("models/regularized_logits.py",
      "return self.alpha2 * ops.mean(label_column_norms * feature_norms)",
      "return self.alpha2 * ops.sum(label_column_norms * feature_norms)",
      ("tests/models/test_regularized_logits.py",), "alpha2 term: sum, not mean, over k"),
    M("models/regularized_logits.py",
      "column_norms = ops.sqrt(ops.sum(ops.square(self.kernel), axis=0))",
      "column_norms = ops.sum(ops.square(self.kernel), axis=0)",
      ("tests/models/test_regularized_logits.py",), "||w_y|| squared"),
    M("models/regularized_logits.py", "return self.alpha1 * ops.sum(ops.abs(self.kernel))",
      "return self.alpha1 * ops.mean(ops.abs(self.kernel))",
      ("tests/models/test_regularized_logits.py",), "alpha1 term: mean of |w|, not ||w||_1"),
    M("models/regularized_logits.py",
      "kernel.assign(ops.sign(kernel) * ops.maximum(ops.abs(kernel) - threshold, 0.0))",
      "kernel.assign(ops.sign(kernel) * ops.maximum(ops.abs(kernel) - 2 * threshold, 0.0))",
      ("tests/models/test_regularized_logits.py",), "proximal l1 step: twice the threshold"),
    # the block ratio ||L(x)|| / ||x|| (P1 section 3.3)
    M("callbacks/block_ratio.py",
      "return ops.sqrt(ops.sum(ops.square(ops.cast(flat, \"float32\")), axis=1))",
      "return ops.sum(ops.square(ops.cast(flat, \"float32\")), axis=1)",
      ("tests/callbacks/test_block_ratio.py",), "norms without the square root"),
    M("callbacks/block_ratio.py",
      "ratios = np.where(branch_norms == 0.0, 0.0, branch_norms / denominator_norms)",
      "ratios = np.where(branch_norms == 0.0, 0.0, denominator_norms / branch_norms)",
      ("tests/callbacks/test_block_ratio.py",), "ratio upside down"),
    M("callbacks/block_ratio.py", "return float(np.mean(ratios)), float(np.max(ratios))",
      "return float(np.median(ratios)), float(np.max(ratios))",
      ("tests/callbacks/test_block_ratio.py",), "mean ratio replaced by the median"),
    # binning (Shwartz-Ziv & Tishby)
    M("estimators/binning.py", "i_ty = max(0.0, h_t + h_y - h_ty)",
      "i_ty = max(0.0, h_t - h_ty)", ("tests/estimators/test_binning.py",),
      "I(T;Y) without H(Y)"),
    M("estimators/binning.py",
      "h_ty = _checks.entropy_from_counts(np.bincount(symbols * num_classes + label_ids))",
      "h_ty = _checks.entropy_from_counts(np.bincount(symbols + label_ids))",
      ("tests/estimators/test_binning.py",), "joint symbols collide"),
    M("estimators/binning.py",
      "edges = np.linspace(low, high, self.num_bins + 1)[1:-1] if high > low else ()",
      "edges = np.linspace(low, high, self.num_bins)[1:-1] if high > low else ()",
      ("tests/estimators/test_binning.py",), "adaptive range: one bin too few"),
    M("estimators/binning.py", "return np.searchsorted(edges, values, side=\"right\")",
      "return np.searchsorted(edges, values, side=\"left\")",
      ("tests/estimators/test_binning.py",), "bin index of a value on an edge"),
    # KDE bounds (Kolchinsky & Tracey; Saxe et al.)
    M("estimators/kde.py", "divisor = 2.0 if self.bound == \"upper\" else 8.0",
      "divisor = 4.0 if self.bound == \"upper\" else 8.0", ("tests/estimators/test_kde.py",),
      "upper bound: wrong divisor of the distances"),
    M("estimators/kde.py", "divisor = 2.0 if self.bound == \"upper\" else 8.0",
      "divisor = 2.0 if self.bound == \"upper\" else 4.0", ("tests/estimators/test_kde.py",),
      "lower bound: wrong divisor of the distances"),
    M("estimators/kde.py",
      "conditional = 0.5 * values.shape[1] * np.log(2 * np.pi * np.e * self.noise_variance)",
      "conditional = 0.5 * values.shape[1] * np.log(2 * np.pi * self.noise_variance)",
      ("tests/estimators/test_kde.py",), "H(T|X) without the e"),
    M("estimators/kde.py",
      "for label, size in enumerate(class_sizes)) / values.shape[0]",
      "for label, size in enumerate(class_sizes)) / (values.shape[0] - 1)",
      ("tests/estimators/test_kde.py",), "H(T|Y): divided by n - 1"),
    # the information of the prediction (P2 Prop. 2.1-2.2)
    M("estimators/prediction_information.py",
      "return float(np.sum(p[positive] * (np.log(p[positive]) - np.log(q[positive]))))",
      "return float(np.sum(p[positive] * (np.log(q[positive]) - np.log(p[positive]))))",
      ("tests/estimators/test_prediction_information.py",), "KL divergence sign"),
    M("estimators/prediction_information.py",
      "reference = np.broadcast_to(np.mean(probs, axis=0), probs.shape)",
      "reference = np.broadcast_to(np.median(probs, axis=0), probs.shape)",
      ("tests/estimators/test_prediction_information.py",), "marginal: median, not mean"),
    M("estimators/prediction_information.py",
      "label_marginal = np.sum(joint, axis=1)            # π̂_{y+} = p(y)",
      "label_marginal = np.sum(joint, axis=0)            # π̂_{y+} = p(y)",
      ("tests/estimators/test_prediction_information.py",), "p(y) summed on the wrong axis"),
    # the IB loss (P3 eq. 7-8) and its noise
    M("training/ib_iteration.py",
      "loss = self.ce_weight * cross_entropy - self.label_weight * i_y \\",
      "loss = self.ce_weight * cross_entropy + self.label_weight * i_y \\",
      (IB_LOSS,), "IB loss: sign of I(Y; L)"),
    M("training/ib_iteration.py", "+ self.input_weight * i_x",
      "- self.input_weight * i_x", (IB_LOSS,),
      "IB loss: sign of beta I(X; L + eps)"),
    M("training/ib_critics.py", "self.noise_std = math.sqrt(self.noise_variance)",
      "self.noise_std = self.noise_variance", ("tests/training/test_ib_critics.py",),
      "noise std = sigma^2, not sigma"),
    M("training/ib_critics.py", "permutations[row, order] = np.roll(order, -int(shift))",
      "permutations[row, order] = order", ("tests/training/test_ib_critics.py",),
      "held-out marginal pairs: each sample with itself"),
    # the IB error bars (P3 section 4, Fig. 4)
    M("training/ib_error_bars.py",
      "return {\"I_X_bits\": bits(input_nats), \"I_X_std_bits\": bits(input_std),",
      "return {\"I_X_bits\": bits(label_nats), \"I_X_std_bits\": bits(input_std),",
      ("tests/training/test_ib_error_bars.py",), "I(X; L+eps) and I(Y; L) swapped"),
    M("training/ib_error_bars.py",
      "ArchitectureAwareMINE(network, layer=layer_name, noise_variance=noise_variance,",
      "ArchitectureAwareMINE(network, layer=layer_name, noise_variance=noise_variance**0.5,",
      ("tests/training/test_ib_error_bars.py",), "AA-MINE given sigma, not sigma^2"),
    M("training/ib_error_bars.py", "(images,), own, fit_settings)",
      "(features,), own, fit_settings)", ("tests/training/test_ib_error_bars.py",),
      "AA-MINE fed the features, not the images"),
    M("training/ib_error_bars.py", "return None if value is None else value / NATS_PER_BIT",
      "return None if value is None else value * NATS_PER_BIT",
      ("tests/training/test_ib_error_bars.py",), "nats to bits the wrong way"),
    # the seed derivation
    M("infodl/seeds.py", "key = (zlib.crc32(purpose.encode()), *values[1:])",
      "key = (zlib.crc32(purpose.encode()), *values[2:])", ("tests/test_seeds.py",),
      "off-by-one: the first index ignored"),
    M("infodl/seeds.py", "return int(state[0] >> np.uint64(64 - _SEED_BITS))",
      "return int(state[0] >> np.uint64(63 - _SEED_BITS))", ("tests/test_seeds.py",),
      "off-by-one: a 32-bit seed"),
    M("infodl/seeds.py", "if min(values) < 0:", "if min(values) < -1:",
      ("tests/test_seeds.py",), "off-by-one: -1 accepted"),
    # the sweep report's statistics (P2 Tables 1-2: mean ± std over seeds)
    M("analysis/seed_statistics.py",
      "std = float(np.std(values, ddof=1)) if values.size > 1 else None",
      "std = float(np.std(values, ddof=0)) if values.size > 1 else None",
      ("tests/experiments/sweeps/test_report.py", "tests/analysis/test_seed_statistics.py"),
      "population std (ddof 0)"),
    M("experiments/sweeps/report.py",
      "\"constraint_mean_nats\": float(np.mean(constraint)) if constraint else None}",
      "\"constraint_mean_nats\": float(constraint[-1]) if constraint else None}",
      ("tests/experiments/sweeps/test_report.py",),
      "constraint: the last measurement, not the mean"),
    M("experiments/sweeps/report.py",
      "return {\"best_test_accuracy\": results.get(\"best_test_accuracy\", accuracy),",
      "return {\"best_test_accuracy\": results.get(\"final_test_accuracy\", accuracy),",
      ("tests/experiments/sweeps/test_report.py",), "best accuracy read from the final one"),
)


def _copy_repository(destination):
    shutil.copytree(ROOT, destination, ignore=shutil.ignore_patterns(
        ".git", "runs", "build", "__pycache__", "*.egg-info", ".*cache", "*.png"))


def _pytest(copy, tests, timeout):
    command = [sys.executable, "-m", "pytest", "-q", "-n", "0", "-x", "-p", "no:cacheprovider",
               "-p", "no:randomly", *tests]
    try:
        result = subprocess.run(command, cwd=copy, capture_output=True, text=True,
                                timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, ""
    return result.returncode, result.stdout


def _first_failure(output):
    found = re.search(r"^FAILED (\S+)", output, re.M)
    return found.group(1).split(" - ")[0] if found else "?"


def apply(copy, mutant):
    """Changes the mutant's line in the copy; returns (path, original text, line number)."""
    path = copy / mutant.module
    text = path.read_text()
    if text.count(mutant.original) != 1:
        raise SystemExit(f"{mutant.module}: expected the text once, found it "
                         f"{text.count(mutant.original)} times: {mutant.original!r}")
    line = text[:text.index(mutant.original)].count("\n") + 1
    path.write_text(text.replace(mutant.original, mutant.replacement))
    return path, text, line


def _run_mutant(copy, mutant, timeout):
    path, text, line = apply(copy, mutant)
    try:
        code, output = _pytest(copy, mutant.tests, timeout)
    finally:
        path.write_text(text)
    if code == 1:
        verdict = f"killed by `{_first_failure(output)}`"
    else:
        verdict = "**survived**" if code == 0 else f"**not run** (exit {code})"
    row = (f"| `{mutant.module}` | {line} | {mutant.meaning}: `{mutant.replacement.strip()}` "
           f"| {verdict} |")
    print(row, flush=True)
    return row, code == 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run the mutants whose module has this")
    parser.add_argument("--list", action="store_true", help="print the list, run nothing")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at once (copies)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per pytest run")
    args = parser.parse_args(argv)
    mutants = [m for m in MUTANTS if args.only in m.module]
    if args.list:
        for mutant in mutants:
            print(f"{mutant.module}: {mutant.meaning} -> {' '.join(mutant.tests)}")
        return 0
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="mutation_check_") as folder:
        copies = [pathlib.Path(folder) / f"repository_{job}" for job in range(args.jobs)]
        for copy in copies:
            _copy_repository(copy)
        for mutant in mutants:  # every line is there before anything runs
            path, text, _ = apply(copies[0], mutant)
            path.write_text(text)
        baseline = sorted({test for mutant in mutants for test in mutant.tests})
        code, output = _pytest(copies[0], baseline, args.timeout)
        if code != 0:
            print(output[-3000:])
            raise SystemExit(f"the mapped tests fail without a mutant (exit {code})")
        free = queue.Queue()
        for copy in copies:
            free.put(copy)

        def one(mutant):
            copy = free.get()
            try:
                return _run_mutant(copy, mutant, args.timeout)
            finally:
                free.put(copy)

        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            results = list(pool.map(one, mutants))
    killed = sum(k for _, k in results)
    print(f"\n{datetime.date.today()}: {killed} of {len(mutants)} mutants killed, "
          f"{time.time() - started:.0f} s (--jobs {args.jobs})\n")
    print("| module | line | mutation | result |\n|---|---|---|---|")
    print("\n".join(row for row, _ in results))
    return 0 if killed == len(mutants) else 1


if __name__ == "__main__":
    sys.exit(main())
