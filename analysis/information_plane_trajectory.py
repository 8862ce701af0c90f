"""The information-plane trajectory of a run: (I(X;T_k), I(T_k;Y)) per logged epoch."""

import csv
import dataclasses
import json
import os

import numpy as np

FORMATS = (".npz", ".json", ".csv")


@dataclasses.dataclass
class InformationPlaneTrajectory:
    """MI values of L layers at E logged epochs, in bits, savable as npz/JSON/CSV.

    information_bits[e, k] = (I(X;T_k), I(T_k;Y)) after epochs[e] completed epochs
    (epoch 0 = before training). Averaging seeds takes the mean of these arrays at
    equal epochs and layers: I_bar[e, k] = (1/S) sum_s I_s[e, k].

    Args:
        epochs: (E,) strictly increasing non-negative ints.
        information_bits: (E, L, 2) finite non-negative floats.
        layer_names: L strings.
        metadata: JSON-serializable dict (estimator, activation, seeds, ...).

    Example:
        trajectory = InformationPlaneTrajectory([1, 10], values, ["hidden_1"])
        trajectory.save("plane.npz"); again = InformationPlaneTrajectory.load("plane.npz")

    Reference: Shwartz-Ziv & Tishby 2017, Fig. 3 (averaged over 50 runs).
    """

    epochs: np.ndarray
    information_bits: np.ndarray
    layer_names: list
    metadata: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        self.epochs = np.asarray(self.epochs, dtype=np.int64).reshape(-1)
        values = np.asarray(self.information_bits, dtype=np.float64)
        self.layer_names = [str(name) for name in self.layer_names]
        expected = (self.epochs.size, len(self.layer_names), 2)
        if values.size == 0 and self.epochs.size == 0:
            values = values.reshape(expected)
        if values.shape != expected:
            raise ValueError(f"Expected information_bits of shape {expected} (epochs, "
                             f"layers, 2). Received: shape={values.shape}")
        if not np.all(np.isfinite(values)):
            raise ValueError("Expected finite information values. Received: "
                             f"{int(np.sum(~np.isfinite(values)))} NaN/inf entries")
        if np.any(np.diff(self.epochs) <= 0) or np.any(self.epochs < 0):
            raise ValueError("Expected strictly increasing epochs >= 0. "
                             f"Received: epochs={self.epochs.tolist()}")
        self.information_bits = values
        self.metadata = dict(self.metadata)

    @property
    def i_xt_bits(self):
        """(E, L) array of I(X;T_k) in bits."""
        return self.information_bits[..., 0]

    @property
    def i_ty_bits(self):
        """(E, L) array of I(T_k;Y) in bits."""
        return self.information_bits[..., 1]

    @classmethod
    def average(cls, trajectories):
        """Mean over runs logged at the same epochs for the same layers."""
        trajectories = list(trajectories)
        if not trajectories:
            raise ValueError("Expected at least one trajectory. Received: none")
        first = trajectories[0]
        for other in trajectories[1:]:
            if (not np.array_equal(other.epochs, first.epochs)
                    or other.layer_names != first.layer_names):
                raise ValueError(
                    "Expected trajectories with equal epochs and layer names. Received: "
                    f"epochs {first.epochs.tolist()[:5]}... vs {other.epochs.tolist()[:5]}..., "
                    f"layers {first.layer_names} vs {other.layer_names}")
        stacked = np.stack([t.information_bits for t in trajectories])
        metadata = dict(first.metadata, num_runs=len(trajectories))
        return cls(first.epochs, stacked.mean(axis=0), first.layer_names, metadata)

    def save(self, path):
        """Write to `path`; the format follows the extension (.npz, .json, .csv)."""
        path = os.fspath(path)
        extension = _extension(path)
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if extension == ".npz":
            np.savez(path, epochs=self.epochs, I_XT_bits=self.i_xt_bits,
                     I_TY_bits=self.i_ty_bits, layer_names=np.array(self.layer_names),
                     metadata=np.array(json.dumps(self.metadata)))
        elif extension == ".json":
            with open(path, "w") as handle:
                json.dump({"epochs": self.epochs.tolist(), "layer_names": self.layer_names,
                           "I_XT_bits": self.i_xt_bits.tolist(),
                           "I_TY_bits": self.i_ty_bits.tolist(),
                           "metadata": self.metadata}, handle, indent=1)
        else:
            with open(path, "w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["epoch", "layer_index", "layer_name", "I_XT_bits",
                                 "I_TY_bits"])
                for row, epoch in enumerate(self.epochs):
                    for index, name in enumerate(self.layer_names):
                        writer.writerow([int(epoch), index, name,
                                         repr(float(self.i_xt_bits[row, index])),
                                         repr(float(self.i_ty_bits[row, index]))])
        return path

    @classmethod
    def load(cls, path):
        """Read a file written by `save` (CSV files carry no metadata)."""
        path = os.fspath(path)
        extension = _extension(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"Expected an information-plane trajectory file at {path!r}. "
                "Received: no such file")
        try:
            if extension == ".npz":
                with np.load(path) as contents:
                    values = np.stack([contents["I_XT_bits"], contents["I_TY_bits"]], -1)
                    return cls(contents["epochs"], values,
                               contents["layer_names"].tolist(),
                               json.loads(str(contents["metadata"])))
            if extension == ".json":
                with open(path) as handle:
                    contents = json.load(handle)
                values = np.stack([np.asarray(contents["I_XT_bits"], dtype=np.float64),
                                   np.asarray(contents["I_TY_bits"], dtype=np.float64)], -1)
                return cls(contents["epochs"], values, contents["layer_names"],
                           contents.get("metadata", {}))
            return _load_csv(cls, path)
        except (KeyError, ValueError, TypeError, OSError) as error:
            raise ValueError(f"Expected a trajectory file written by save() at {path!r}. "
                             f"Received: {type(error).__name__}: {error}") from error


def _extension(path):
    extension = os.path.splitext(path)[1].lower()
    if extension not in FORMATS:
        raise ValueError(f"Expected a path ending in one of {FORMATS}. Received: {path!r}")
    return extension


def _load_csv(cls, path):
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    epochs = sorted({int(row["epoch"]) for row in rows})
    names = {}
    for row in rows:
        names[int(row["layer_index"])] = row["layer_name"]
    layer_names = [names[index] for index in sorted(names)]
    values = np.full((len(epochs), len(layer_names), 2), np.nan)
    position = {epoch: row for row, epoch in enumerate(epochs)}
    for row in rows:
        values[position[int(row["epoch"])], int(row["layer_index"])] = (
            float(row["I_XT_bits"]), float(row["I_TY_bits"]))
    return cls(epochs, values, layer_names)
