"""Layer-by-layer IB training and its baselines on MNIST / CIFAR-10 (P3 §5, Tables 1-2).

`run(IBLayerwiseConfig(...))` trains `num_seeds` networks, seed s on training subset s
(the same subsets for every method), and reports the test accuracy on the whole test
set, mean ± std over seeds:

- method "ib": `infodl.training.ib_layerwise_trainer.LayerwiseIBTrainer` with beta (beta = 0:
  "IB functional, only first term"), then the post-trained linear `logits` layer;
  the information plane of each layer (held-out test images) is drawn per seed;
- method "cross_entropy": the same network without the `features` layer (784-512-512-10)
  trained with Adam on cross-entropy (+ weight decay) for as many network steps as the
  IB run makes (layers × iterations_per_layer, or `train_steps`), same batch size and
  learning rate; the reported accuracy is that of the last step (no early stopping);
- method "logistic_regression": scikit-learn's `LogisticRegression` (`LOGISTIC_REGRESSION`:
  C = 1, lbfgs, at most 1000 iterations; multinomial) on the pixels as the network's
  `input_scaling` layer gives them (MNIST: x / 255), flattened; saved as a Keras model
  `input_scaling` → `logits` with its coefficients.

Every seed folder holds `model.keras` (layers `hidden_1..`, for IB also `features`,
then `logits`), TensorBoard events, `history.json` and `results.json`.

Example:
    results = run(IBLayerwiseConfig(dataset="mnist", data_dir="/path/to/mnist.pkl.gz",
                                    train_fraction=0.01, iterations_per_layer=600,
                                    critic_hidden_units=(128, 128), num_seeds=3))

Reference: P3 (Elad et al.) §5, Fig. 4, Tables 1-2, appendix C.
"""

import math
import os
import time
import warnings

import keras
import numpy as np

from infodl.analysis.figure_files import figure_to_png_bytes
from infodl.analysis.information_plane_plot import plot_ib_information_plane
from infodl.experiments.ib.layerwise_config import IBLayerwiseConfig  # noqa: F401 (re-exported)
from infodl.experiments.ib.runs import (
    MODEL_FILE,
    build_network,
    evaluate_and_save,
    finish_seed,
    load_ib_data,
    run_seeds,
    summary_lines,
    write_results,
)
from infodl.run_folder.summary_writer import SummaryWriter
from infodl.training.ib_blocks import flatten_features, split_blocks
from infodl.training.ib_layerwise_trainer import LayerwiseIBTrainer
from infodl.training.in_memory_epoch_trainer import InMemoryEpochTrainer

FIGURE_FILE = "info_plane.png"
CE_REPORT_POINTS = 20
# The raw-pixel baseline: scikit-learn's defaults, with more iterations than its 100.
LOGISTIC_REGRESSION = {"C": 1.0, "solver": "lbfgs", "max_iter": 1000}


def _init_model_path(init_model, seed):
    """The model.keras that initialises seed `seed`: `init_model` itself, or, for a run
    folder, its `seed_<seed>/model.keras`.

    Raises:
        FileNotFoundError: no such file.
    """
    path = (os.path.join(init_model, f"seed_{seed}", MODEL_FILE) if os.path.isdir(init_model)
            else init_model)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Expected init_model to be a model.keras or a run folder "
                                f"holding seed_{seed}/{MODEL_FILE}. Received: "
                                f"init_model={init_model!r} (no file {path})")
    return path


def _weight_shapes(model):
    return [(layer.name, [tuple(weight.shape) for weight in layer.weights])
            for layer in model.layers if layer.weights]


def _load_init_weights(model, path):
    """Copies the weights of the saved model at `path` into `model`, layer by layer.

    Raises:
        ValueError: a file Keras cannot load, or a model whose weighted layers (names
            and shapes) differ from `model`'s (another network).
    """
    try:
        loaded = keras.saving.load_model(path, compile=False)
    except Exception as error:  # any reason: one line
        raise ValueError(f"Expected init_model to be a saved Keras model. Received: {path} "
                         f"({type(error).__name__}: {str(error).splitlines()[0]})") from None

    def describe(shapes):
        return ", ".join(f"{name} {'x'.join(map(str, weights[0]))}" for name, weights in shapes)

    if _weight_shapes(loaded) != _weight_shapes(model):
        raise ValueError(f"Expected init_model to be a {model.name} network like this run's "
                         f"({describe(_weight_shapes(model))}). Received: {path} with "
                         f"{describe(_weight_shapes(loaded)) or 'no weighted layers'}")
    for layer in model.layers:
        if layer.weights:
            layer.set_weights(loaded.get_layer(layer.name).get_weights())
    return model


def _train_ib(config, seed, seed_dir):
    started = time.perf_counter()
    data = load_ib_data(config, seed)
    model = build_network(config, data, seed, post_trained_logits=True)
    trainer = LayerwiseIBTrainer(
        model, data["num_classes"], config.trainer_settings(), beta=config.beta,
        conv_beta=config.conv_beta, iterations_per_layer=config.iterations_per_layer,
        posttrain_steps=config.posttrain_steps,
        posttrain_learning_rate=config.posttrain_learning_rate,
        train_layers=config.train_layers, seed=seed, log_dir=seed_dir)
    init_path = None
    if config.init_model is not None:
        init_path = _init_model_path(config.init_model, seed)
        _load_init_weights(model, init_path)
    history = trainer.fit(data["x_train"], data["y_train"], data["x_measure"],
                          data["y_measure"])
    steps = len(trainer.blocks) * trainer.iterations
    png = figure_to_png_bytes(plot_ib_information_plane(history, title=figure_title(config, seed)),
                              dpi=110)
    with open(os.path.join(seed_dir, FIGURE_FILE), "wb") as handle:
        handle.write(png)
    SummaryWriter.for_log_dir(seed_dir).png("info_plane/figure", png, steps)
    record = dict(evaluate_and_save(model, data, seed, seed_dir, steps, started),
                  method=config.method, beta=config.beta,
                  posttrain_train_accuracy=history["posttrain"]["train_accuracy"],
                  layers=trainer.trained_layer_names, init_model=init_path,
                  figure_path=os.path.join(seed_dir, FIGURE_FILE))
    return finish_seed(seed_dir, record, history)


def cross_entropy_steps(config, model):
    """Network steps of the CE baseline: `train_steps`, or layers × iterations_per_layer."""
    if config.train_steps is not None:
        return config.train_steps
    _, blocks, _ = split_blocks(model)
    return (len(blocks) + 1) * config.iterations_per_layer  # + the `features` layer of IB


def _train_cross_entropy(config, seed, seed_dir):
    started = time.perf_counter()
    data = load_ib_data(config, seed)
    model = build_network(config, data, seed, weight_decay=config.weight_decay)
    steps = cross_entropy_steps(config, model)
    batch_size = min(config.batch_size, len(data["y_train"]))
    epochs = math.ceil(steps / math.ceil(len(data["y_train"]) / batch_size))
    trainer = InMemoryEpochTrainer(
        model, keras.optimizers.Adam(config.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        batch_size=batch_size, seed=seed)
    report = sorted({max(1, round(epochs * k / CE_REPORT_POINTS))
                     for k in range(1, CE_REPORT_POINTS + 1)})
    logs = trainer.fit(data["x_train"], data["y_train"], epochs, report_epochs=report,
                       validation_data=(data["x_measure"], data["y_measure"]),
                       verbose=config.verbose)
    writer = SummaryWriter.for_log_dir(seed_dir)
    for index, epoch in enumerate(logs["epoch"]):
        writer.scalars({"cross_entropy/train_loss_nats": logs["loss"][index],
                        "cross_entropy/train_accuracy": logs["accuracy"][index],
                        "heldout/accuracy": logs["val_accuracy"][index]}, epoch)
    record = dict(evaluate_and_save(model, data, seed, seed_dir, epochs, started),
                  method=config.method, weight_decay=config.weight_decay,
                  train_accuracy=logs["accuracy"][-1], steps=steps, epochs=epochs,
                  heldout_accuracy_curve=[[e, a] for e, a in zip(
                      logs["epoch"], logs["val_accuracy"], strict=True)])
    return finish_seed(seed_dir, record)


def _scaled_pixels(model, inputs):
    """The inputs as the network sees them after its stem (`input_scaling`), flattened."""
    stem, _, _ = split_blocks(model)
    return np.asarray(flatten_features(stem(inputs)), "float64")


def _train_logistic_regression(config, seed, seed_dir):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    started = time.perf_counter()
    data = load_ib_data(config, seed)
    network = build_network(config, data, seed)
    classifier = LogisticRegression(random_state=seed, **LOGISTIC_REGRESSION)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # recorded as "converged"
        classifier.fit(_scaled_pixels(network, data["x_train"]), data["y_train"])
    test_accuracy = float(np.mean(classifier.predict(_scaled_pixels(network, data["x_test"]))
                                  == data["y_test"]))
    stem, _, _ = split_blocks(network)
    inputs = keras.Input(data["image_shape"])
    hidden = stem(inputs)
    if len(hidden.shape) > 2:
        hidden = keras.layers.Flatten(name="flatten_pixels")(hidden)
    logits = keras.layers.Dense(data["num_classes"], name="logits")(hidden)
    model = keras.Model(inputs, logits, name="logistic_regression")
    model.get_layer("logits").set_weights([classifier.coef_.T.astype("float32"),
                                           classifier.intercept_.astype("float32")])
    iterations = int(np.max(classifier.n_iter_))
    record = dict(evaluate_and_save(model, data, seed, seed_dir, iterations, started,
                                    test_accuracy=test_accuracy),
                  method=config.method, logistic_regression=dict(
                      LOGISTIC_REGRESSION, iterations=iterations,
                      converged=iterations < LOGISTIC_REGRESSION["max_iter"]),
                  train_accuracy=float(classifier.score(
                      _scaled_pixels(network, data["x_train"]), data["y_train"])))
    return finish_seed(seed_dir, record)


TRAIN = {"ib": _train_ib, "cross_entropy": _train_cross_entropy,
         "logistic_regression": _train_logistic_regression}


def run(config):
    """Trains and evaluates every seed; returns the results (also in results.json).

    Returns:
        dict: "runs" (per seed: test_accuracy, model_path, ...), "test_accuracy_mean",
        "test_accuracy_std", "figure_path" (IB: the information plane of the first
        seed), "reused_seeds", "trained_seeds", "log_dir", "seconds".
    """
    if config.init_model is not None:  # every seed's file, before anything is written
        for offset in range(config.num_seeds):
            _init_model_path(config.init_model, config.seed + offset)
    train = TRAIN[config.method]
    results = run_seeds(config, lambda seed, seed_dir: train(config, seed, seed_dir))
    results["method"] = config.method
    if config.method == "ib":
        results["figure_path"] = results["runs"][0]["figure_path"]
    return write_results(config, results)


def summary(results):
    """The lines `run.py` prints at the end of a run."""
    label = {"ib": "layer-wise IB", "cross_entropy": "cross-entropy",
             "logistic_regression": "logistic regression on pixels"}[results["method"]]
    return summary_lines(results, label)


def figure_title(config, seed):
    """E.g. "mlp_512_512 on mnist (1 %), beta=0.001, sigma^2=2, 600 it/layer, seed 0"."""
    share = f" ({100 * config.train_fraction:g} %)" if config.train_fraction < 1 else ""
    return (f"{config.network} on {config.dataset}{share}, β = {config.beta:g}, "
            f"σ² = {config.noise_variance:g}, {config.iterations_per_layer} it/layer, "
            f"critics {'-'.join(map(str, config.critic_hidden_units))}, seed {seed}")
