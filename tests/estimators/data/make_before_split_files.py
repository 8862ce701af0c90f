"""How the files of this folder were made: run once with the MINE of before the split
into parts (issue 17), `PYTHONPATH=. python tests/estimators/data/make_before_split_files.py`.

Running it again with the current code would overwrite the old-format files: don't.
"""
import json
import os

import keras
import numpy as np

from infodl.estimators.aa_mine import ArchitectureAwareMINE
from infodl.estimators.mine import MINE

out = os.path.dirname(os.path.abspath(__file__))
keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
s = rng.standard_normal((200, 2)).astype("float32")
t = (s[:, :1] + 0.5 * rng.standard_normal((200, 1))).astype("float32")
mine = MINE(bound="dv", hidden_units=(8,), seed=0, standardize="gaussianize")
mine.fit_estimate(s, t, steps=20, batch_size=32, eval_every=10, verbose=0)
mine.save(os.path.join(out, "mine_before_split.keras"))

network = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="linear"),
                            keras.layers.Dense(1, name="after")])
network.get_layer("linear").set_weights([np.array([[1., 0.], [0., 1.], [1., 1.]], "float32"),
                                         np.zeros(2, "float32")])
x = rng.standard_normal((200, 3)).astype("float32")
aa = ArchitectureAwareMINE(network, "linear", noise_variance=0.5, hidden_units=(8,), seed=0)
aa.fit_estimate(x, steps=20, batch_size=32, eval_every=10, verbose=0)
aa.save(os.path.join(out, "aa_mine_before_split.keras"))

# Fixed inputs of the loading test.
check = np.random.default_rng(1)
s_in = check.standard_normal((64, 2)).astype("float32")
t_in = (s_in[:, :1] + 0.5 * check.standard_normal((64, 1))).astype("float32")
x_in = check.standard_normal((64, 3)).astype("float32")
t_x = (x_in @ np.array([[1., 0.], [0., 1.], [1., 1.]], "float32")
       + np.sqrt(0.5) * check.standard_normal((64, 2))).astype("float32")
record = {
    "mine_estimate": mine.estimate(s_in, t_in, seed=0),
    "mine_scores": np.asarray(mine((s_in[:4], t_in[:4]))).tolist(),
    "aa_mine_estimate": aa.estimate(x_in, t_x, seed=0),
    "aa_mine_scores": np.asarray(aa((x_in[:4], t_x[:4]))).tolist(),
}
print(record)
json.dump(record, open(os.path.join(out, "before_split_estimates.json"), "w"), indent=1)
