"""Feature analysis of a saved model of this project (`run.py --experiment=analyze`).

`run(AnalyzeConfig(checkpoint=...))` loads the checkpoint (a `.keras` file or a run
folder), reads the run's config.json for the data set and the input preprocessing,
and runs `infodl.analysis.feature_analysis.FeatureAnalysis` on the test set: figures (PNG and
TensorBoard), `analysis.json` and `analysis.md` in the output folder.

Example:
    run(AnalyzeConfig(checkpoint="runs/invnet_info", data_dir="/path/to/mnist.pkl.gz"))
    run(AnalyzeConfig(checkpoint="runs/resnet32", tsne_examples=1000))

Reference: P2 §4.2-4.3 (Fig. 2, 3, 6, 8), P3 §5 (Fig. 5), P1 §3.5 (Fig. 7).
"""

import pathlib

from infodl.analysis.feature_analysis import FeatureAnalysis
from infodl.analysis.feature_source import (
    choose_preprocessing,
    load_saved_model,
    read_run_config,
    resolve_checkpoint,
)
from infodl.data import load_dataset
from infodl.experiments.cli.early_checks import check_keras_file
from infodl.run_folder.checkpoints import CHECKPOINT_PATTERN
from infodl.run_folder.run_directory import prepare_log_dir
from infodl.run_folder.summary_writer import SummaryWriter

ANALYSIS_FOLDER = "analysis"


def _default_output_dir(checkpoint, run_dir):
    """<run folder>/analysis, or <file stem>_analysis beside a bare .keras file."""
    if run_dir is not None:
        return pathlib.Path(run_dir) / ANALYSIS_FOLDER
    return checkpoint.with_name(f"{checkpoint.stem}_{ANALYSIS_FOLDER}")


def _default_title(model_name, run_config):
    """A readable model name: "InvNet", "RegInvNet (α1=0.002, α2=0.002)", "resnet32 (info
    regularizer, α1=0, α2=0.03)"."""
    name = "InvNet" if model_name == "invnet" else model_name
    regularizer = run_config.get("regularizer", "none")
    alphas = (run_config.get("alpha1", 0.0), run_config.get("alpha2", 0.0))
    if regularizer == "none" or not any(alphas):
        return name
    detail = f"α1={alphas[0]:g}, α2={alphas[1]:g}"
    if name == "InvNet" and regularizer == "info":
        return f"RegInvNet ({detail})"
    return f"{name} ({regularizer} regularizer, {detail})"


def prepare_output_dir(output_dir, settings, overwrite):
    """Guards the output folder like a run folder: same settings may be redone, other
    settings need overwrite."""
    if overwrite:
        SummaryWriter.close_log_dir(output_dir)
    prepare_log_dir(output_dir, settings, overwrite=overwrite, resumable_keys=("title",))


def run(config):
    """Analyses the features of `config.checkpoint`; returns the report (analysis.json's
    content plus "analysis_dir" and "checkpoint")."""
    config.validate()
    checkpoint, run_dir = resolve_checkpoint(config.checkpoint)
    check_keras_file(checkpoint)  # an empty or foreign file: say so, before anything else
    run_config = read_run_config(run_dir)
    dataset_name = config.dataset or run_config.get("dataset")
    if dataset_name is None:
        raise ValueError(f"Expected a dataset for {checkpoint}, whose run folder names none. "
                         "Received: dataset=None (pass dataset=mnist, cifar10, ...)")
    own = dataset_name == run_config.get("dataset")
    data_dir = config.data_dir or (run_config.get("data_dir") if own else None)
    # the run's own data set is the one it trained on: its subset, seed and, for
    # synthetic data, its sizes (the defaults would score the model on other images)
    same_data = ({key: run_config[key] for key in ("train_fraction", "seed")
                  if key in run_config} if own else {})
    if own and "synthetic_sizes" in run_config:
        same_data["synthetic_sizes"] = tuple(run_config["synthetic_sizes"])
    dataset = load_dataset(dataset_name, data_dir=data_dir,
                           allow_partial_files=run_config.get("allow_partial_files", False),
                           **same_data)
    model = load_saved_model(checkpoint)
    preprocessing = choose_preprocessing(config.preprocessing, run_config, model.name)
    analysis = FeatureAnalysis(
        model, dataset, preprocessing=preprocessing, feature_layer=config.feature_layer,
        logits_layer=config.logits_layer, tsne_layers=config.tsne_layers,
        tsne_examples=config.tsne_examples, tsne_perplexity=config.tsne_perplexity,
        pca_components=config.pca_components, pca_train_examples=config.pca_train_examples,
        histogram_class=config.histogram_class, figures=config.figures,
        class_figures=config.class_figures,
        test_examples=config.test_examples,
        batch_size=config.batch_size, seed=config.seed, verbose=config.verbose,
        title=config.title or _default_title(model.name, run_config))
    output_dir = pathlib.Path(config.log_dir) if config.log_dir else _default_output_dir(
        checkpoint, run_dir)
    prepare_output_dir(output_dir, analysis.settings(), config.overwrite)
    report = analysis.run(output_dir, step=_checkpoint_step(checkpoint))
    return {**report, "checkpoint": str(checkpoint)}


def _checkpoint_step(checkpoint):
    """The global step in a checkpoint's name (ckpt-00012000.keras → 12000), else 0."""
    match = CHECKPOINT_PATTERN.match(pathlib.Path(checkpoint).name)
    return int(match.group(1)) if match else 0


def summary(results):
    """The lines `run.py` prints at the end."""
    keys = ("test_accuracy", "weight_zero_fraction", "micro_auc", "macro_auc",
            "separation_ratio", "tsne_separation_ratio")
    numbers = " ".join(f"{key}={results[key]:.4f}" for key in keys
                       if results.get(key) is not None)
    return [f"checkpoint={results['checkpoint']} {numbers}",
            f"figures, analysis.json and analysis.md in {results['analysis_dir']}"]
