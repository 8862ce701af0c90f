"""infodl: what every package of the project shares, free of TensorFlow.

- `infodl.checks`: the argument checks, with Keras-style messages
  (`Expected alpha2 >= 0. Received: alpha2=-1`);
- `infodl.choices`: every list of allowed values (models, datasets, activations,
  estimators, bounds, ...), imported by the configs that validate flags and by the
  builders that use the values.
"""
