"""InvNet (P2 §4.2): an MLP autoencoder whose code F(x) also feeds a linear classifier w.

The encoder F is LeNet-300-100 (input → 300 → 100, ReLU), the decoder D mirrors it
(100 → 300 → input, ReLU then sigmoid, reshaped back to the image shape), and the
classifier is the `RegularizedLogits` layer w (100 × classes) with P2's regularizer.
Training alternates one autoencoder update and one classifier update
(`infodl.training.alternating_trainer.AlternatingTrainer`); this module only builds the graph,
with Keras layers, so it is backend-agnostic.
"""

import math

import keras

from infodl.checks import check_choice, check_integer, check_integer_tuple
from infodl.choices import ACTIVATIONS
from infodl.models.regularized_logits import RegularizedLogits
from infodl.paper_constants import L1_EVERY

# Layer names the trainer and the feature analysis rely on.
FEATURE_LAYER = "features"
LOGITS_LAYER = "logits"
RECONSTRUCTION_LAYER = "reconstruction"


def build_invnet(num_classes=10, input_shape=(28, 28, 1), hidden_sizes=(300, 100),
                 activation="relu", regularizer="info", alpha1=0.0, alpha2=0.0,
                 l1_method="proximal", l1_every=L1_EVERY, name="invnet"):
    """The inputs and outputs of InvNet: encoder F, mirrored decoder D, classifier w.

        F(x) = act(W_2 · act(W_1 · flatten(x) + b_1) + b_2)      (layer "features")
        D(F) = reshape(sigmoid(V_1 · act(V_2 · F + c_2) + c_1))  (layer "reconstruction")
        z    = F(x) · w + b                                        (layer "logits")

    Inputs are `{"image": x, "label": y}` with an optional label (as the project's
    ResNet): with a label, the logits layer adds P2's regularizer to the model's losses;
    `{"image": x, "label": None}` is inference. Images are expected in [0, 1] (the
    sigmoid output reconstructs them).

    Args:
        num_classes: classes of w (>= 2).
        input_shape: shape of one image, e.g. (28, 28, 1) for MNIST.
        hidden_sizes: encoder widths, the last one being the feature size
            (default LeNet-300-100); the decoder uses them in reverse.
        activation: hidden activation of encoder and decoder (default "relu").
        regularizer, alpha1, alpha2, l1_method, l1_every: of `RegularizedLogits`
            (RegInvNet: "info", α1 = α2 = 0.002; InvNet: "none").
        name: model name.

    Returns:
        (inputs dict, outputs dict {"logits", "reconstruction"}) — pass them to
        `keras.Model` or to `infodl.training.alternating_trainer.AlternatingTrainer`.

    Example:
        >>> from infodl.models.invnet import build_invnet
        >>> from infodl.training.alternating_trainer import AlternatingTrainer
        >>> inputs, outputs = build_invnet(alpha1=0.002, alpha2=0.002)
        >>> model = AlternatingTrainer(inputs, outputs, name="invnet")
        >>> {name: tensor.shape for name, tensor in outputs.items()}
        {'logits': (None, 10), 'reconstruction': (None, 28, 28, 1)}

    Reference: P2 §4.2 ("F is LeNet-300-100 and the decoder D has the opposite
    structure"), appendix E.
    """
    check_integer(num_classes, "num_classes", minimum=2)
    input_shape = check_integer_tuple(input_shape, "input_shape")
    hidden_sizes = check_integer_tuple(hidden_sizes, "hidden_sizes")
    check_choice(activation, "activation", ACTIVATIONS)
    if not isinstance(name, str) or not name:
        raise ValueError(f"Expected name to be a non-empty string. Received: name={name!r}")

    image = keras.Input(shape=input_shape, name="image")
    label = keras.Input(shape=(), dtype="int32", name="label", optional=True)
    x = keras.layers.Flatten(name="flatten")(image)
    encoder_names = [f"hidden_{i + 1}" for i in range(len(hidden_sizes) - 1)] + [FEATURE_LAYER]
    for width, layer_name in zip(hidden_sizes, encoder_names, strict=True):
        x = keras.layers.Dense(width, activation=activation, name=layer_name)(x)
    features = x
    for index, width in enumerate(reversed(hidden_sizes[:-1])):
        x = keras.layers.Dense(width, activation=activation,
                               name=f"decoder_hidden_{index + 1}")(x)
    x = keras.layers.Dense(math.prod(input_shape), activation="sigmoid",
                           name="decoder_output")(x)
    reconstruction = keras.layers.Reshape(input_shape, name=RECONSTRUCTION_LAYER)(x)
    logits = RegularizedLogits(num_classes, regularizer=regularizer, alpha1=alpha1,
                               alpha2=alpha2, l1_method=l1_method, l1_every=l1_every,
                               name=LOGITS_LAYER)(features, labels=label)
    return ({"image": image, "label": label},
            {LOGITS_LAYER: logits, RECONSTRUCTION_LAYER: reconstruction})
