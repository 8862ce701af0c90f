"""End-to-end training with the IB functional as regularizer (P3 appendix B, Table 3).

`run(IBEndToEndConfig(...))` trains `num_seeds` networks (seed s on training subset s)
on L = alpha·CE(Y, Ŷ) − beta·I(Y; Ŷ) + gamma·I(X; Ŷ + eps) with
`infodl.training.ib_end_to_end_trainer.EndToEndIBTrainer` and reports the test accuracy of the
last step on the whole test set, mean ± std over seeds. alpha = 1, beta = gamma = 0 is
the cross-entropy baseline (same steps, batches and learning rate, no critics).

Example:
    results = run(IBEndToEndConfig(dataset="mnist", data_dir="/path/to/mnist.pkl.gz",
                                   train_fraction=0.01, train_steps=2000, num_seeds=3))

Reference: P3 (Elad et al.) appendix B (eq. 8, Table 3, Fig. 6) and C.
"""

import time

from infodl.experiments.ib.end_to_end_config import IBEndToEndConfig  # noqa: F401 (re-exported)
from infodl.experiments.ib.runs import (
    build_network,
    evaluate_and_save,
    finish_seed,
    load_ib_data,
    run_seeds,
    summary_lines,
    write_results,
)
from infodl.training.ib_end_to_end_trainer import STAGE_NAME, EndToEndIBTrainer


def _train_seed(config, seed, seed_dir):
    started = time.perf_counter()
    data = load_ib_data(config, seed)
    model = build_network(config, data, seed)
    trainer = EndToEndIBTrainer(
        model, data["num_classes"], config.trainer_settings(), alpha=config.alpha,
        beta=config.beta, gamma=config.gamma, train_steps=config.train_steps, seed=seed,
        log_dir=seed_dir)
    history = trainer.fit(data["x_train"], data["y_train"], data["x_measure"],
                          data["y_measure"])
    trajectory = history["layers"][STAGE_NAME]["trajectory"]
    record = dict(evaluate_and_save(model, data, seed, seed_dir, config.train_steps, started),
                  alpha=config.alpha, beta=config.beta, gamma=config.gamma,
                  steps=config.train_steps, final_information_bits=None if not trajectory else {
                      "I_X_Yhat_noise": trajectory[-1][1], "I_Y_Yhat": trajectory[-1][2]})
    return finish_seed(seed_dir, record, history)


def run(config):
    """Trains and evaluates every seed; returns the results (also in results.json).

    Returns:
        dict: "runs" (per seed: test_accuracy, final I(X; Ŷ+eps), I(Y; Ŷ) in bits,
        model_path, ...), "test_accuracy_mean", "test_accuracy_std", "reused_seeds",
        "trained_seeds", "log_dir", "seconds".
    """
    results = run_seeds(config, lambda seed, seed_dir: _train_seed(config, seed, seed_dir))
    results["loss"] = _loss_text(config)
    return write_results(config, results)


def summary(results):
    """The lines `run.py` prints at the end of a run."""
    return summary_lines(results, f"end-to-end {results['loss']}")


def _loss_text(config):
    """E.g. "CE − 1·I(Y;Ŷ) + 0.001·I(X;Ŷ+ε)"."""
    parts = []
    if config.alpha:
        parts.append("CE" if config.alpha == 1 else f"{config.alpha:g}·CE")
    if config.beta:
        parts.append(f"− {config.beta:g}·I(Y;Ŷ)")
    if config.gamma:
        parts.append(f"+ {config.gamma:g}·I(X;Ŷ+ε)")
    return " ".join(parts).lstrip("+ ")
