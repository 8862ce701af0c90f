"""The scale of a trained net's layers: the RMS of each layer's output on given inputs.

Why it matters for the IB functional: I(X; L + ε) is measured with noise of a fixed
variance σ², while I(Y; L) is measured on the noiseless L and does not change when L is
multiplied by a constant. A layer can therefore lower I(X; L + ε) by shrinking, with no
loss of I(Y; L) (P3, Elad et al., eq. 7, σ² fixed in section 4). Putting each layer's
RMS beside its I(X; L + ε) tells how much of a "compression" is only a change of scale
(docs/ib_training.md, the β sweep).

Its command line, for the IB runs (every `seed_*/model.keras` of each run folder, test
images of the MNIST pickle), is `infodl.experiments.ib.activation_scale`.

Reference: P3 (Elad et al. 2019), eq. 7 and section 4 (σ² = 2).
"""

import pathlib

import numpy as np

DEFAULT_LAYERS = ("hidden_1", "hidden_2", "features")


def activation_rms(model, inputs, layer_names, batch_size=1000):
    """RMS of each named layer's output over `inputs`: sqrt(mean over examples and units
    of L(x)²).

    Args:
        model: a built Keras model holding layers of those names.
        inputs: the model's input array (N, ...).
        layer_names: names of the layers to measure.
        batch_size: examples per forward pass.

    Returns:
        dict: layer name -> RMS (float).

    Example:
        >>> import keras
        >>> from infodl.analysis.activation_scale import activation_rms
        >>> inputs = keras.Input((2,))
        >>> dense = keras.layers.Dense(1, kernel_initializer="ones", name="sum")
        >>> model = keras.Model(inputs, dense(inputs))
        >>> activation_rms(model, np.array([[1.0, 2.0], [0.0, -4.0]]), ["sum"])  # 3, -4
        {'sum': 3.5355...}
    """
    import keras

    probe = keras.Model(model.inputs, [model.get_layer(name).output for name in layer_names])
    sums = np.zeros(len(layer_names))
    counts = np.zeros(len(layer_names))
    for start in range(0, len(inputs), batch_size):
        outputs = probe([inputs[start:start + batch_size]], training=False)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        for index, output in enumerate(outputs):
            values = np.asarray(output, "float64")
            sums[index] += np.sum(values ** 2)
            counts[index] += values.size
    return {name: float(np.sqrt(total / count))
            for name, total, count in zip(layer_names, sums, counts, strict=True)}


def run_folder_rms(folder, inputs, layer_names=DEFAULT_LAYERS):
    """`activation_rms` of every `seed_*/model.keras` under a run folder.

    Returns:
        dict: seed folder name -> {layer name -> RMS}, in seed order.

    Raises:
        ValueError: the folder holds no `seed_*/model.keras`.
    """
    import keras

    import infodl.models  # noqa: F401  (registers the custom layers for loading)

    paths = sorted(pathlib.Path(folder).glob("seed_*/model.keras"))
    if not paths:
        raise ValueError(f"Expected seed_*/model.keras under {folder}. Received: none")
    return {path.parent.name: activation_rms(
        keras.models.load_model(path, compile=False), inputs, layer_names) for path in paths}
