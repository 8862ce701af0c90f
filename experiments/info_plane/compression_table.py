"""Does tanh compress and ReLU not? The table and figures of docs/compression.md.

For activation in (tanh, relu) × output layer in (sigmoid: Saxe et al. Fig. 1's two
sigmoid units, softmax: IDNNs) the 12-10-7-5-4-3-2 net is trained once per seed on
var_u.mat (`infodl.experiments.info_plane.experiment` with keep_activations: its activations on all
4096 inputs are saved at the logged epochs); every estimator of
`infodl.analysis.compression.ESTIMATORS` is then computed from those same activations
(cached per seed as `trajectory_<estimator>.npz`), and per layer the compression
max I(X;T) - final I(X;T) is reported as mean ± std (ddof 1) over the seeds, against
the null of `infodl.analysis.compression_null` (a flat trajectory with the estimator's
bootstrap noise at the final epoch; the resamples are cached per seed as
`null_<estimator>.json`). A rerun reuses finished seeds and cached estimates.

Usage:
    nice -n 10 python -m infodl.experiments.info_plane.compression_table \
        --var_u_path=/path/to/var_u.mat --epochs=2000 --num_seeds=5

Writes `<log_dir>/compression.json` (every per-seed number), the figures
`<docs_dir>/compression_info_planes.png` and `<docs_dir>/compression_bars.png`, and the
tables between the markers of `<docs_dir>/compression.md` (the rest of it is kept).
"""

import dataclasses
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from infodl.analysis.compression import (
    ESTIMATORS,
    compression_over_seeds,
    estimate_trajectory,
    layer_estimators,
    load_activations,
)
from infodl.analysis.compression_null import bootstrap_information, compression_against_null
from infodl.analysis.information_plane_trajectory import InformationPlaneTrajectory
from infodl.analysis.seed_statistics import mean_std_text
from infodl.experiments.cli.config import ExperimentConfig, setting
from infodl.experiments.cli.table_command import run_command
from infodl.run_folder.atomic import write_json_atomic
from infodl.seeds import derive_seed

VARIANTS = {("tanh", "sigmoid"): "tanh, sigmoid output",
            ("tanh", "softmax"): "tanh, softmax output",
            ("relu", "sigmoid"): "ReLU, sigmoid output",
            ("relu", "softmax"): "ReLU, softmax output"}
BEGIN, END = "<!-- compression-table:begin -->", "<!-- compression-table:end -->"


def _variant_key(activation, output):
    return f"{activation}_{output}"


def _train_variants(args):
    """Runs (or reuses) the info-plane experiment of every variant; {key: results}."""
    from infodl.experiments.info_plane.config import InfoPlaneConfig
    from infodl.experiments.info_plane.experiment import run

    results = {}
    for activation, output in VARIANTS:
        key = _variant_key(activation, output)
        print(f"== training {key}: {args.num_seeds} seed(s) x {args.epochs} epochs",
              flush=True)
        results[key] = run(InfoPlaneConfig(
            activation=activation, output_activation=output, estimator="binning",
            keep_activations=True, epochs=args.epochs, num_log_points=args.num_log_points,
            num_seeds=args.num_seeds, seed=args.seed, var_u_path=args.var_u_path,
            log_dir=os.path.join(args.log_dir, key), verbose=args.verbose))
    return results


def _estimator_inputs(record, labels, estimator, args):
    """(settings, examples) of `estimator` on one seed: the KDE runs on the seed's
    held-out inputs (`--kde_inputs=test`, Saxe et al. App. B: "estimated using data
    samples from the test set") or on all of them; the binnings on all of them."""
    from infodl.data.twelve_bit import train_test_split_indices

    examples = None
    settings = {"estimator": estimator, "noise_variance": args.noise_variance}
    if estimator == "kde":
        settings["inputs"] = args.kde_inputs
        if args.kde_inputs == "test":
            examples = train_test_split_indices(len(labels), 0.8, record["seed"])[1]
    return settings, examples


def _seed_trajectory(record, labels, layer_names, estimator, args):
    """One seed's trajectory under `estimator`, from its saved activations (cached)."""
    settings, examples = _estimator_inputs(record, labels, estimator, args)
    path = os.path.join(os.path.dirname(record["activations_path"]),
                        f"trajectory_{estimator}.npz")
    if os.path.isfile(path):
        cached = InformationPlaneTrajectory.load(path)
        if all(cached.metadata.get(k) == v for k, v in settings.items()):
            return cached
    start = time.perf_counter()
    trajectory = estimate_trajectory(
        record["activations_path"], labels, estimator, layer_names,
        metadata=dict(settings, seed=record["seed"]),
        noise_variance=args.noise_variance, examples=examples, verbose=args.verbose)
    trajectory.metadata["seconds"] = time.perf_counter() - start
    trajectory.save(path)
    return trajectory


def _seed_null(record, labels, estimator, args):
    """One seed's final-epoch I(X;T) per layer on `--null_resamples` bootstrap resamples
    of the estimator's inputs (B, layers), cached as `null_<estimator>.json`, and the
    seconds the resampling took."""
    settings, examples = _estimator_inputs(record, labels, estimator, args)
    settings.update(num_resamples=args.null_resamples,
                    resample_seed=derive_seed(record["seed"], "compression_null", 0))
    path = os.path.join(os.path.dirname(record["activations_path"]),
                        f"null_{estimator}.json")
    if os.path.isfile(path):
        with open(path) as handle:
            cached = json.load(handle)
        if cached["settings"] == settings:
            return np.asarray(cached["I_XT_bits"]), cached["seconds"]
    _, layers = load_activations(record["activations_path"])
    if examples is not None:
        layers = [history[:, np.asarray(examples, dtype=np.int64)] for history in layers]
    estimators = layer_estimators(estimator, layers, noise_variance=args.noise_variance)
    start = time.perf_counter()
    values = bootstrap_information(estimators, [history[-1] for history in layers],
                                   args.null_resamples, settings["resample_seed"])
    seconds = time.perf_counter() - start
    write_json_atomic(path, {"settings": settings, "I_XT_bits": values.tolist(),
                             "seconds": seconds})
    return values, seconds


def _add_null(statistics, trajectories, nulls, args):
    """Adds `"null"` (`compression_against_null`) to each layer's record of `statistics`."""
    for k, name in enumerate(trajectories[0].layer_names):
        record = statistics[name]
        record["null"] = compression_against_null(
            record["compression_bits_per_seed"], [values[:, k] for values in nulls],
            num_epochs=len(trajectories[0].epochs), num_draws=args.null_draws,
            seed=derive_seed(args.seed, "compression_null", 1))


def _cell(record, with_epoch=True):
    text = mean_std_text(record["compression_bits_per_seed"])
    if with_epoch:
        text += f" ({record['epoch_of_I_XT_max_median']:.0f})"
    null = record.get("null")
    if null is not None:
        mark = " ✓" if null["above_null"] else ""
        text += (f"{mark} [{null['null_quantile']:.2f}; {null['seeds_above_null']}/"
                 f"{len(record['compression_bits_per_seed'])}]")
    return text


def _record_text(record, key):
    """The "mean ± std" of `key` in a `compression_over_seeds` record (one seed: "(1 seed)")."""
    mean, std = record[f"{key}_mean"], record[f"{key}_std"]
    return f"{mean:.3f} ± {std:.3f}" if std is not None else f"{mean:.3f} (1 seed)"


def _markdown_tables(statistics, runs, layer_names, args, seconds):
    """The generated part of docs/compression.md."""
    networks = len(runs) * args.num_seeds
    lines = [f"Settings: `var_u.mat`, {args.epochs} epochs, {args.num_seeds} seeds "
             f"({args.seed}–{args.seed + args.num_seeds - 1}), Adam 4e-4, batch 512, 80 % "
             "train split, I(X;T) on all 4096 inputs (KDE: see below) at "
             f"{args.num_log_points} log-spaced epochs (+ epoch 0). Wall time on this "
             f"machine: the {networks} networks trained in "
             f"{seconds['training_runs']:.0f} s (sum of their runs); the estimators took "
             f"{seconds['estimator_runs']:.0f} s (sum over seeds; KDE "
             f"{seconds['kde_runs']:.0f} s), the null's bootstrap resamples "
             f"{seconds['null_runs']:.0f} s (KDE {seconds['null_per_estimator']['kde']:.0f} s).",
             "",
             "Cells: compression = max over epochs of I(X;T) − final I(X;T), in bits, mean ± "
             "std over seeds (ddof 1); in brackets the median over seeds of the last epoch at "
             f"which I(X;T) is at its peak ({args.epochs} = at the end: no compression); "
             "✓ where the mean stands above the 95th percentile of its null (estimator noise "
             "on a flat trajectory, see below), given in square brackets with the number of "
             "seeds whose own compression stands above their own null's 95th percentile "
             f"(null: {args.null_resamples} bootstrap resamples of the final epoch's inputs "
             f"per seed, {args.null_draws} draws).", ""]
    header = "| network | " + " | ".join(layer_names) + " |"
    rule = "|---|" + "---|" * len(layer_names)
    inputs = ("each seed's 819 held-out inputs, as Saxe et al. App. B" if args.kde_inputs
              == "test" else "all 4096 inputs")
    for estimator, description in ESTIMATORS.items():
        if estimator == "kde":
            description += f"; on {inputs}"
        lines += [f"**{estimator}** — {description}", "", header, rule]
        for (activation, output), label in VARIANTS.items():
            stats = statistics[estimator][_variant_key(activation, output)]
            lines.append(f"| {label} | " + " | ".join(
                _cell(stats[name]) for name in layer_names) + " |")
        lines.append("")
    lines += ["Accuracy at the end (%, mean ± std over seeds) and I(T;Y) of the output "
              "layer (bits, fixed-range binning):", "",
              "| network | train | test | I(Ŷ;Y) final |", "|---|---|---|---|"]
    for (activation, output), label in VARIANTS.items():
        key = _variant_key(activation, output)
        output_stats = statistics["binning"][key][layer_names[-1]]
        train, test = ([r[name] for r in runs[key]] for name in ("train_accuracy",
                                                                  "test_accuracy"))
        lines.append(f"| {label} | {mean_std_text(train, '.1f', 100)} | "
                     f"{mean_std_text(test, '.1f', 100)} | "
                     f"{_record_text(output_stats, 'I_TY_final')} |")
    return "\n".join(lines)


def _update_document(path, generated):
    """Puts `generated` between the markers of `path` (creating a stub if needed)."""
    if os.path.isfile(path):
        with open(path) as handle:
            text = handle.read()
    else:
        text = f"# Compression in the information plane\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        raise ValueError(f"Expected the markers {BEGIN} and {END} in {path!r}. "
                         "Received: a document without them")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    with open(path, "w") as handle:
        handle.write(f"{head}{BEGIN}\n{generated}\n{END}{tail}")


@dataclasses.dataclass
class CompressionTableSettings(ExperimentConfig):
    """The flags of `python -m infodl.experiments.info_plane.compression_table`."""
    var_u_path: str | None = setting(None, "The original var_u.mat of the 12-bit task.",
                                     required="the path of var_u.mat")
    epochs: int = setting(2000, "Training epochs of each network.", minimum=1)
    num_seeds: int = setting(5, "Networks per variant (consecutive seeds from --seed).",
                             minimum=1)
    seed: int = setting(0, "Seed of the first network.", minimum=0)
    num_log_points: int = setting(20, "Log-spaced epochs where the activations are kept "
                                  "(+ epoch 0).", minimum=1)
    noise_variance: float = setting(0.1, "Noise variance sigma^2 of the KDE estimator.",
                                    minimum=0, exclusive_minimum=True)
    kde_inputs: str = setting(
        "test", "Inputs of the KDE: each seed's held-out 20 % (test: Saxe et al. App. B; "
        "about 25x faster) or all 4096.", choices=("test", "all"))
    null_resamples: int = setting(100, "Bootstrap resamples of the final epoch per seed and "
                                  "estimator (the noise of the null).", minimum=2)
    null_draws: int = setting(10000, "Monte Carlo draws of the null of each layer's "
                              "compression.", minimum=1)
    log_dir: str = setting("runs/compression", "Folder of the runs, the caches and "
                           "compression.json.")
    docs_dir: str = setting("docs", "Folder of compression.md (its tables are replaced "
                            "between the markers) and the two figures.")
    verbose: int = setting(1, "0 silent, 1 progress.", minimum=0, maximum=2)

    def early_checks(self):
        super().early_checks()
        if not os.path.isfile(self.var_u_path):
            raise FileNotFoundError(f"Expected var_u.mat at var_u_path. Received: "
                                    f"var_u_path={self.var_u_path!r}, no such file")


def main(argv=None):
    """The command line; returns the exit code."""
    return run_command(CompressionTableSettings, _make_table, argv)


def _make_table(args):
    """Trains (or reuses) the networks, estimates, and writes the tables and figures."""
    from infodl.analysis.compression_figures import plot_compression_bars
    from infodl.analysis.figure_files import save_figure_png
    from infodl.analysis.information_plane_plot import plot_information_plane_grid
    from infodl.data.twelve_bit import load_twelve_bit_task

    start = time.perf_counter()
    results = _train_variants(args)
    training_seconds = time.perf_counter() - start
    _, labels = load_twelve_bit_task(args.var_u_path)
    runs = {key: value["runs"] for key, value in results.items()}
    layer_names = next(iter(results.values()))["trajectory"].layer_names
    statistics, means, estimator_seconds, null_seconds = {}, {}, {}, {}
    start = time.perf_counter()
    for estimator in ESTIMATORS:
        statistics[estimator], means[estimator] = {}, {}
        for key, records in runs.items():
            print(f"== {estimator}: {key}", flush=True)
            trajectories = [_seed_trajectory(record, labels, layer_names, estimator, args)
                            for record in records]
            estimator_seconds[estimator] = estimator_seconds.get(estimator, 0.0) + sum(
                t.metadata.get("seconds", 0.0) for t in trajectories)
            statistics[estimator][key] = compression_over_seeds(
                trajectories, [record["seed"] for record in records])
            nulls = [_seed_null(record, labels, estimator, args) for record in records]
            _add_null(statistics[estimator][key], trajectories, [n[0] for n in nulls], args)
            null_seconds[estimator] = null_seconds.get(estimator, 0.0) + sum(
                n[1] for n in nulls)
            means[estimator][key] = InformationPlaneTrajectory.average(trajectories)
    seconds = {"training": training_seconds, "estimators": time.perf_counter() - start,
               "training_runs": sum(r["seconds"] for records in runs.values()
                                    for r in records),
               "estimator_runs": sum(estimator_seconds.values()),
               "kde_runs": estimator_seconds["kde"], "per_estimator": estimator_seconds,
               "null_runs": sum(null_seconds.values()), "null_per_estimator": null_seconds}
    with open(os.path.join(args.log_dir, "compression.json"), "w") as handle:
        json.dump({"args": args.to_dict(), "seconds": seconds, "statistics": statistics,
                   "runs": runs}, handle, indent=1)
    keys = [_variant_key(*variant) for variant in VARIANTS]
    save_figure_png(plot_information_plane_grid(
        [[means[e][key] for e in ESTIMATORS] for key in keys], list(VARIANTS.values()),
        list(ESTIMATORS), title=f"var_u.mat, {args.epochs} epochs, mean of "
        f"{args.num_seeds} seeds"), os.path.join(args.docs_dir, "compression_info_planes.png"))
    save_figure_png(plot_compression_bars(
        statistics, {e: e for e in ESTIMATORS},
        {_variant_key(*v): label for v, label in VARIANTS.items()}, layer_names,
        title="compression per layer, mean ± std over seeds"),
        os.path.join(args.docs_dir, "compression_bars.png"))
    _update_document(os.path.join(args.docs_dir, "compression.md"),
                    _markdown_tables(statistics, runs, layer_names, args, seconds))
    print(f"tables in {os.path.join(args.docs_dir, 'compression.md')}; training "
          f"{training_seconds:.0f} s, estimators {seconds['estimators']:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
