"""What the two IB experiments (ib_layerwise, ib_end_to_end) share: data, networks,
evaluation, saving, and the loop over seeds with its mean ± std.

Run folder layout: `<log_dir>/config.json`, `<log_dir>/results.json` (every seed and
the mean ± std of the test accuracy), `<log_dir>/seed_<s>/` (TensorBoard events,
`checkpoints/`, `model.keras`, `history.json`, `results.json` written last: a seed
with it is complete and reused by a rerun; one without it resumes from its newest
checkpoint).
"""

import os
import shutil
import sys
import time

import keras
import numpy as np

from infodl.analysis.seed_statistics import mean_and_std
from infodl.data import load_dataset
from infodl.data.subset import stratified_subset_indices
from infodl.experiments.ib.settings import CONV_DATASETS
from infodl.models.ib_nets import build_ib_network, input_statistics
from infodl.run_folder.atomic import atomic_write, read_json, write_json_atomic
from infodl.run_folder.checkpoints import MODEL_FILE
from infodl.run_folder.event_files import truncate_events
from infodl.run_folder.run_directory import holds_only_bookkeeping, prepare_log_dir
from infodl.run_folder.summary_writer import SummaryWriter
from infodl.training.ib_checkpoint import IBCheckpoints

RESULTS_FILE, HISTORY_FILE = "results.json", "history.json"
# The held-out measurement images are the same for every run and seed.
MEASURE_SEED = 0
EVAL_BATCH = 2048


def load_ib_data(config, seed):
    """Training set (subset `seed` when train_fraction < 1), the whole test set, and the
    fixed held-out measurement images, as float32 raw pixels (0..255)."""
    if config.verbose:
        print(f"loading {config.dataset}" + (f" from {config.data_dir}" if config.data_dir
                                             else ""), file=sys.stderr, flush=True)
    dataset = load_dataset(config.dataset, data_dir=config.data_dir,
                           train_fraction=config.train_fraction, seed=seed,
                           allow_partial_files=config.allow_partial_files)
    fraction = min(1.0, config.info_examples / len(dataset.y_test))
    measure = stratified_subset_indices(dataset.y_test, fraction, MEASURE_SEED)
    data = {"x_train": dataset.x_train.astype("float32"), "y_train": dataset.y_train,
            "x_test": dataset.x_test.astype("float32"), "y_test": dataset.y_test,
            "num_classes": dataset.num_classes, "image_shape": dataset.image_shape}
    data["x_measure"], data["y_measure"] = data["x_test"][measure], data["y_test"][measure]
    data["input_mean"], data["input_std"] = (
        input_statistics(dataset.x_train) if config.dataset in CONV_DATASETS else (None, None))
    return data


def build_network(config, data, seed, post_trained_logits=False, weight_decay=0.0):
    """The network of `config` for `data` (P3's nets, `infodl.models.ib_nets`)."""
    return build_ib_network(config.network, data["image_shape"], data["num_classes"],
                            post_trained_logits=post_trained_logits,
                            input_mean=data["input_mean"], input_std=data["input_std"],
                            weight_decay=weight_decay, seed=seed)


def accuracy(model, inputs, labels):
    """Top-1 accuracy of the logits model on every example."""
    predicted = np.concatenate([
        np.argmax(np.asarray(model(inputs[i:i + EVAL_BATCH], training=False)), axis=-1)
        for i in range(0, len(inputs), EVAL_BATCH)])
    return float(np.mean(predicted == np.asarray(labels)))


def save_model(model, path):
    """Saves the Keras model atomically (temporary name, then rename)."""
    with atomic_write(path) as partial:
        model.save(partial)
    return str(path)


def evaluate_and_save(model, data, seed, seed_dir, step, started, test_accuracy=None):
    """Tests the trained model of one seed and saves it as `model.keras`.

    Writes the test accuracy to TensorBoard (`test/accuracy` at `step`). `test_accuracy`
    given (e.g. scikit-learn's own predictions) is recorded instead of the model's.

    Returns:
        dict: the fields of every seed's record: "seed", "test_accuracy", "num_train",
        "num_test", "seconds_this_session" (since `started`, a `time.perf_counter()`)
        and "model_path".
    """
    if test_accuracy is None:
        test_accuracy = accuracy(model, data["x_test"], data["y_test"])
    SummaryWriter.for_log_dir(seed_dir).scalar("test/accuracy", test_accuracy, step)
    return {"seed": seed, "test_accuracy": test_accuracy,
            "num_train": int(len(data["y_train"])), "num_test": int(len(data["y_test"])),
            "seconds_this_session": time.perf_counter() - started,
            "model_path": save_model(model, os.path.join(seed_dir, MODEL_FILE))}


def finish_seed(seed_dir, record, history=None):
    """Writes history.json, then results.json (last: the seed is complete); with a history,
    results.json also says per stage how critic pretraining ended (its "check")."""
    if history is not None:
        write_json_atomic(os.path.join(seed_dir, HISTORY_FILE), history)
        record["history_path"] = os.path.join(seed_dir, HISTORY_FILE)
        record["pretraining"] = {
            name: (layer.get("pretraining") or {}).get("check")
            for name, layer in history.get("layers", {}).items()}
    write_json_atomic(os.path.join(seed_dir, RESULTS_FILE), record)
    SummaryWriter.close_log_dir(seed_dir)
    return record


def run_seeds(config, train_seed):
    """Runs `train_seed(seed, seed_dir) -> record` for every seed not done yet.

    Returns:
        dict: "runs" (the per-seed records), "reused_seeds", "trained_seeds",
        "test_accuracy_mean", "test_accuracy_std" (ddof 1; None for one seed), "seconds".
    """
    config.validate()
    if config.overwrite:
        SummaryWriter.close_log_dir(config.log_dir)
    new_log_dir = not os.path.exists(config.log_dir)
    prepare_log_dir(config.log_dir, config.to_dict(), overwrite=config.overwrite,
                    resumable_keys=config.resumable_keys(),
                    defaults=config.defaults())
    started = time.perf_counter()
    runs, reused, trained = [], [], []
    for offset in range(config.num_seeds):
        seed = config.seed + offset
        seed_dir = os.path.join(config.log_dir, f"seed_{seed}")
        done = os.path.join(seed_dir, RESULTS_FILE)
        if os.path.isfile(done):
            runs.append(read_json(done, "delete it to train that seed again"))
            reused.append(seed)
            continue
        new_seed_dir = not os.path.isdir(seed_dir)
        if not new_seed_dir:
            drop_rewritten_events(seed_dir)
        os.makedirs(seed_dir, exist_ok=True)
        keras.utils.set_random_seed(seed)
        try:
            runs.append(train_seed(seed, seed_dir))
        except BaseException:  # a failed start leaves the folders as they were
            remove_failed_start(config.log_dir if new_log_dir and not runs else None,
                                seed_dir if new_seed_dir else None)
            raise
        trained.append(seed)
    mean, std = mean_and_std([run["test_accuracy"] for run in runs])
    results = {"log_dir": config.log_dir, "runs": runs, "reused_seeds": reused,
               "trained_seeds": trained, "test_accuracy_mean": mean, "test_accuracy_std": std,
               "seconds": time.perf_counter() - started}
    return results


def drop_rewritten_events(seed_dir):
    """Before a seed resumes: drops the TensorBoard events written after its newest
    checkpoint (every event without one), which the resumed run writes again. The steps
    of IB training restart per layer, so the checkpoint's time decides, not a step."""
    SummaryWriter.close_log_dir(seed_dir)
    path, _ = IBCheckpoints(os.path.join(seed_dir, "checkpoints")).latest()
    if path is None:
        return truncate_events(seed_dir, last_step=-1)
    return truncate_events(seed_dir, written_before=IBCheckpoints.saved_at(path))


def remove_failed_start(log_dir, seed_dir):
    """Removes what a run that stopped before its first checkpoint created: `seed_dir`
    (a folder without checkpoints) and, if nothing else is left in it, `log_dir` with its
    config.json. None = a folder that existed before the run."""
    if seed_dir is not None and not os.path.isdir(os.path.join(seed_dir, "checkpoints")):
        SummaryWriter.close_log_dir(seed_dir)
        shutil.rmtree(seed_dir, ignore_errors=True)
    if log_dir is not None and os.path.isdir(log_dir) and holds_only_bookkeeping(log_dir):
        shutil.rmtree(log_dir, ignore_errors=True)


def write_results(config, results):
    write_json_atomic(os.path.join(config.log_dir, RESULTS_FILE), results)
    return results


def summary_lines(results, label):
    """The lines `run.py` prints: accuracy mean ± std over seeds, and where things are."""
    runs = results["runs"]
    per_seed = ", ".join(f"{100 * run['test_accuracy']:.2f}" for run in runs)
    mean, std = mean_and_std([run["test_accuracy"] for run in runs])
    spread = "" if std is None else f" ± {100 * std:.2f}"
    lines = [f"{label}: test accuracy {100 * mean:.2f}{spread} % over {len(runs)} seed(s) "
             f"({per_seed})"]
    if results["reused_seeds"]:
        lines.append(f"reused finished seeds {results['reused_seeds']} from "
                     f"{results['log_dir']}")
    if results.get("figure_path"):
        lines.append(f"information plane: {results['figure_path']}")
    lines.append(f"results: {os.path.join(results['log_dir'], RESULTS_FILE)}")
    return lines
