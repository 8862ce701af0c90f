"""`--experiment=ib_layerwise --method=logistic_regression`: the raw-pixel baseline of the
knob table (issue 20.3), on the training subsets of the other rows (subset s for seed s)."""

import json

import keras
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from infodl.data import load_dataset
from infodl.experiments.ib import layerwise as ib_layerwise
from infodl.experiments.ib.layerwise_config import IBLayerwiseConfig
from infodl.experiments.ib.layerwise_table import table
from tests.fixture_folders import shared_read_only


@pytest.fixture(scope="module")
def finished(tmp_path_factory, request):
    root = tmp_path_factory.mktemp("lr_table")
    config = IBLayerwiseConfig(method="logistic_regression", dataset="digits",
                               train_fraction=0.3, num_seeds=2, seed=1,
                               log_dir=str(root / "logistic"), verbose=0)
    results = ib_layerwise.run(config)
    return shared_read_only(request, root), results


def test_accuracy_equals_a_direct_scikit_learn_fit(finished):
    _, results = finished
    assert [run["seed"] for run in results["runs"]] == [1, 2]
    for run in results["runs"]:
        data = load_dataset("digits", train_fraction=0.3, seed=run["seed"])
        classifier = LogisticRegression(C=1.0, solver="lbfgs", max_iter=1000)
        classifier.fit(data.x_train.reshape(len(data.x_train), -1) / 255.0, data.y_train)
        x_test = data.x_test.reshape(len(data.x_test), -1) / 255.0
        expected = float(np.mean(classifier.predict(x_test) == data.y_test))
        assert run["test_accuracy"] == expected
        assert run["num_train"] == len(data.y_train) and run["num_test"] == len(data.y_test)
        assert run["logistic_regression"]["converged"]
        # the saved Keras model is the classifier (up to lbfgs' tolerance: the run fits
        # float32-scaled pixels, this recomputation float64 ones)
        model = keras.saving.load_model(run["model_path"])
        logits = np.asarray(model(data.x_test.astype("float32")))
        np.testing.assert_allclose(logits, classifier.decision_function(x_test), atol=0.05)
        assert float(np.mean(np.argmax(logits, 1) == data.y_test)) == pytest.approx(
            expected, abs=2 / len(data.y_test))
    values = [run["test_accuracy"] for run in results["runs"]]
    assert results["test_accuracy_mean"] == pytest.approx(np.mean(values))
    assert results["test_accuracy_std"] == pytest.approx(np.std(values, ddof=1))
    assert results["runs"][0]["test_accuracy"] != results["runs"][1]["test_accuracy"] or \
        results["runs"][0]["train_accuracy"] != results["runs"][1]["train_accuracy"]


def test_the_table_prints_it_as_a_row(finished):
    root, results = finished
    saved = json.loads((root / "logistic" / "results.json").read_text())
    assert saved["method"] == "logistic_regression"
    row = table(str(root), (("Logistic regression (pixels)", ("logistic",), 86.48, None),),
                share=1)[2]
    mean, std = 100 * results["test_accuracy_mean"], 100 * results["test_accuracy_std"]
    assert row.startswith(f"| Logistic regression (pixels) | **{mean:.2f} ± {std:.2f}** | "
                          f"1: {100 * results['runs'][0]['test_accuracy']:.2f}, 2: ")
    assert "logistic regression on pixels: test accuracy" in ib_layerwise.summary(results)[0]


@pytest.mark.parametrize("overrides, message", [
    (dict(weight_decay=1e-4), "Expected weight_decay=0 with method='logistic_regression'"),
    (dict(train_steps=5), "Expected train_steps=None with method='logistic_regression'"),
    (dict(method="svm"), "Expected method in ('ib', 'cross_entropy', 'logistic_regression')"),
])
def test_settings_that_do_not_apply_are_refused(overrides, message):
    settings = {"method": "logistic_regression", **overrides}
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        IBLayerwiseConfig(**settings).validate()
