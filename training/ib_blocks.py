"""The layers of a chain network grouped into the blocks that IB training trains one by one.

A block is one weighted layer (`hidden_k`, `features`, `logits`) with the weightless
layers that follow it (max-pool, dropout, flatten); its output is the representation
L_i of P3. The weightless layers before the first weighted one (input scaling,
flatten) form the stem. For `convnet_16`:

    stem = [input_scaling], blocks = [hidden_1, pool_1], [hidden_2, pool_2],
    [hidden_3, pool_3, flatten], [hidden_4], [hidden_5], [features]; head = [logits]
"""

import dataclasses

import keras


@dataclasses.dataclass
class Block:
    """A run of consecutive layers applied one after another.

    Attributes:
        name: the name of its weighted layer ("stem" for the stem).
        layers: the Keras layers, in order.
    """
    name: str
    layers: list

    def __call__(self, inputs, training=False):
        hidden = inputs
        for layer in self.layers:
            hidden = layer(hidden, training=training)
        return hidden

    @property
    def trainable_variables(self):
        return [v for layer in self.layers for v in layer.trainable_variables]

    @property
    def output_layer_name(self):
        """The name of the layer whose output is this block's representation."""
        return self.layers[-1].name if self.layers else None


def _is_weighted(layer):
    return bool(layer.weights) and not layer.name.startswith("input_scaling")


def split_blocks(model):
    """Splits a chain model into (stem, IB blocks, head).

    Args:
        model: a functional Keras model whose layers form one chain (each layer
            fed by the previous one), e.g. from `infodl.models.ib_nets.build_ib_network`.

    Returns:
        (stem, blocks, head): `Block`s; `blocks` are the layers trained with the IB
        functional (every weighted layer but the last), `head` the last weighted
        layer (`logits`) and what follows it.

    Raises:
        ValueError: a model that is not a chain, or has fewer than two weighted layers.

    Example:
        >>> from infodl.models.ib_nets import build_ib_network
        >>> from infodl.training.ib_blocks import split_blocks
        >>> stem, blocks, head = split_blocks(build_ib_network("mlp_512_512", (28, 28, 1)))
        >>> [block.name for block in blocks], head.name
        (['hidden_1', 'hidden_2'], 'logits')

    Reference: P3 (Elad et al.) §5 (layer-by-layer training of L_1, ..., L_K).
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"Expected a keras.Model. Received: {type(model).__name__}")
    layers = [layer for layer in model.layers
              if not isinstance(layer, keras.layers.InputLayer)]
    for previous, layer in zip(layers, layers[1:], strict=False):
        if layer.input is not previous.output:
            raise ValueError(
                "Expected a chain network (each layer fed by the previous one). "
                f"Received: {layer.name!r} is not fed by {previous.name!r}")
    stem, groups = Block("stem", []), []
    for layer in layers:
        if _is_weighted(layer):
            groups.append(Block(layer.name, [layer]))
        elif groups:
            groups[-1].layers.append(layer)
        else:
            stem.layers.append(layer)
    if len(groups) < 2:
        raise ValueError("Expected at least two weighted layers (IB layers and the "
                         f"logits). Received: {[g.name for g in groups]}")
    return stem, groups[:-1], groups[-1]


def flatten_features(values):
    """(n, ...) -> (n, features) with keras.ops (critics see flat vectors)."""
    if len(values.shape) == 2:
        return values
    return keras.ops.reshape(values, (keras.ops.shape(values)[0], -1))
