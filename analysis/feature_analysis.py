"""The feature analysis of a trained model: P2 Fig. 2/3/6/8, P3 Fig. 5 and P1 Fig. 7 at once.

`FeatureAnalysis(model, dataset, ...).run(output_dir)` computes, on the test set, the
per-class statistics of the feature layer F(x) against the classifier w, each class's
representative entry and the ROC of those entries, w's sparsity and norms, a histogram
of one class's feature values, the cluster-separation ratio and t-SNE embeddings of
chosen layers, and linear-SVM / 1-NN accuracy on principal components; it writes PNG
figures, TensorBoard images and scalars, `analysis.json` and `analysis.md`.

Example:
    model = load_saved_model("runs/invnet_info/checkpoints/ckpt-00012000.keras")
    report = FeatureAnalysis(model, load_dataset("mnist", data_dir=...),
                             title="RegInvNet").run("runs/invnet_info/analysis")
    report["micro_auc"], report["separation_ratio"]

Reference: P2 §4.2-4.3, Fig. 2, 3, 6, 8; P3 §5, Fig. 5; P1 §3.5, Fig. 7.
"""

import pathlib

import numpy as np

from infodl.analysis import feature_plots as plots
from infodl.analysis.feature_pca import DEFAULT_COMPONENTS, pca_classifier_accuracy
from infodl.analysis.feature_report import write_report
from infodl.analysis.feature_separation import separation_ratio, subsample_indices, tsne_embedding
from infodl.analysis.feature_source import layer_outputs
from infodl.analysis.feature_statistics import (
    class_feature_statistics,
    representative_entries,
    representative_entry_roc,
    weight_statistics,
)
from infodl.checks import check_integer, check_integer_tuple
from infodl.models.model_probe import layer_output

DIGIT_DATASETS = ("mnist", "digits")


class FeatureAnalysis:
    """Feature statistics, ROC of representative entries, t-SNE, separation and PCA of a model.

    Args:
        model: a functional/Sequential Keras model with a layer `feature_layer` (F(x));
            `logits_layer` (optional) holds w as its 2-D `.kernel` (d × C).
        dataset: a `infodl.data.Dataset` (uint8 images, int64 labels).
        preprocessing: "unit_interval", "per_image_standardization" or "none"
            (`infodl.analysis.feature_source.choose_preprocessing` picks it for a saved run).
        feature_layer, logits_layer: layer names (logits_layer None: no w analyses).
        tsne_layers: layers embedded by t-SNE (default: the feature layer).
        tsne_examples: stratified test subsample of each t-SNE (0 = no t-SNE).
        tsne_perplexity: t-SNE perplexity.
        pca_components: numbers of principal components for SVM / 1-NN (empty: none).
        pca_train_examples: training images to fit PCA and the classifiers on.
        histogram_class: class of the feature histogram (default: the last, P2's 9).
        figures: draw the figures (False: numbers only).
        class_figures: classes that get their own statistics figure (default: the
            first 10); the grid figure of every class is drawn for up to 20 classes.
        test_examples: test images to use (None: all).
        batch_size: inference batch size.
        seed: seed of the subsamples, t-SNE, PCA and SVM.
        verbose: 1 prints a line per stage and shows progress bars.
        title: model name in figure titles (e.g. "RegInvNet").
    """

    def __init__(self, model, dataset, preprocessing="unit_interval", feature_layer="features",
                 logits_layer="logits", tsne_layers=None, tsne_examples=2000,
                 tsne_perplexity=30.0, pca_components=DEFAULT_COMPONENTS,
                 pca_train_examples=10000, histogram_class=None, figures=True, class_figures=None,
                 test_examples=None, batch_size=500, seed=0, verbose=1, title=None):
        self.model, self.dataset = model, dataset
        self.preprocessing = preprocessing
        self.feature_layer, self.logits_layer = feature_layer, logits_layer
        self.tsne_layers = tuple(tsne_layers) if tsne_layers else (feature_layer,)
        self.tsne_examples = check_integer(tsne_examples, "tsne_examples", minimum=0)
        self.tsne_perplexity = tsne_perplexity
        self.pca_components = (check_integer_tuple(pca_components, "pca_components")
                               if pca_components else ())
        self.pca_train_examples = check_integer(pca_train_examples, "pca_train_examples",
                                                minimum=0)
        self.num_classes = dataset.num_classes
        self.histogram_class = check_integer(
            self.num_classes - 1 if histogram_class is None else histogram_class,
            "histogram_class", minimum=0, maximum=self.num_classes - 1)
        self.draw_figures = bool(figures)
        self.class_figures = tuple(range(min(self.num_classes, 10))) if class_figures is None \
            else check_integer_tuple(class_figures, "class_figures", minimum=0, min_length=0)
        if any(c >= self.num_classes for c in self.class_figures):
            raise ValueError(f"Expected class_figures < {self.num_classes}. Received: "
                             f"class_figures={self.class_figures}")
        self.test_examples = check_integer(test_examples, "test_examples", allow_none=True)
        self.batch_size, self.seed, self.verbose = batch_size, seed, verbose
        for layer in dict.fromkeys([feature_layer, *self.tsne_layers]):
            layer_output(model, layer)  # one clear error for a missing layer, up front
        self.title = title or model.name
        prefix = "digit" if dataset.name in DIGIT_DATASETS else "class"
        self.class_names = [f"{prefix} {c}" for c in range(self.num_classes)]

    def _say(self, message):
        if self.verbose:
            print(f"[analysis] {message}", flush=True)

    def _kernel(self, feature_dim):
        """w as a (d, C) array, or None (no such layer, or not right after the features)."""
        if not self.logits_layer:
            return None
        names = [layer.name for layer in self.model.layers]
        if self.logits_layer not in names:
            raise ValueError(f"Expected a layer named {self.logits_layer!r} in model "
                             f"{self.model.name!r} (pass logits_layer=None to skip w). "
                             f"Received: layers {names}")
        kernel = getattr(self.model.get_layer(self.logits_layer), "kernel", None)
        if kernel is None or len(kernel.shape) != 2 or kernel.shape[0] != feature_dim:
            return None
        return np.asarray(kernel, np.float64)

    def compute(self):
        """Every number and array of the analysis (figures are drawn from these)."""
        x_test, y_test = self.dataset.x_test, self.dataset.y_test
        if self.test_examples is not None:
            x_test, y_test = x_test[:self.test_examples], y_test[:self.test_examples]
        names = [self.feature_layer, *self.tsne_layers]
        if self.logits_layer:
            names.append(self.logits_layer)
        self._say(f"features of layers {list(dict.fromkeys(names))} on {len(y_test)} "
                  f"test images ({self.preprocessing})")
        outputs = layer_outputs(self.model, x_test, names, self.preprocessing,
                                self.batch_size, self.verbose, "test set")
        features = outputs[self.feature_layer]
        result = {"labels": y_test, "features": features, "feature_dim": features.shape[1],
                  "kernel": self._kernel(features.shape[1])}
        if self.logits_layer and outputs[self.logits_layer].shape[1] == self.num_classes:
            predicted = np.argmax(outputs[self.logits_layer], axis=1)
            result["test_accuracy"] = float(np.mean(predicted == y_test))
        stats = class_feature_statistics(features, y_test, result["kernel"], self.num_classes)
        entries = representative_entries(stats["means"])
        result.update(stats=stats, entries=entries,
                      roc=representative_entry_roc(features, y_test, entries))
        if result["kernel"] is not None:
            result["weights"] = weight_statistics(result["kernel"])
        result["separation"] = self._separation(outputs, y_test)
        result["pca"] = self._pca(features, y_test)
        return result

    def _separation(self, outputs, labels):
        found = {}
        subsample = subsample_indices(labels, self.tsne_examples, self.seed) \
            if self.tsne_examples >= 3 else None
        for layer in dict.fromkeys([self.feature_layer, *self.tsne_layers]):
            entry = {"feature_space": separation_ratio(outputs[layer], labels)}
            if subsample is not None and layer in self.tsne_layers:
                self._say(f"t-SNE of layer {layer!r} ({outputs[layer].shape[1]} values) on "
                          f"{len(subsample)} of {len(labels)} test images; about 10-60 s "
                          "per 2000 images")
                embedding = tsne_embedding(outputs[layer][subsample], self.tsne_perplexity,
                                           self.seed)
                entry.update(tsne=separation_ratio(embedding, labels[subsample]),
                             embedding=embedding, embedding_labels=labels[subsample])
            found[layer] = entry
        return found

    def _pca(self, test_features, test_labels):
        if not self.pca_components or self.pca_train_examples < 2:
            return []
        train = subsample_indices(self.dataset.y_train, self.pca_train_examples, self.seed)
        self._say(f"PCA + linear SVM / 1-NN on {len(train)} training and "
                  f"{len(test_labels)} test images")
        train_features = layer_outputs(
            self.model, self.dataset.x_train[train], [self.feature_layer], self.preprocessing,
            self.batch_size, self.verbose, "train subsample")[self.feature_layer]
        return pca_classifier_accuracy(train_features, self.dataset.y_train[train],
                                       test_features, test_labels, self.pca_components,
                                       seed=self.seed)

    def figures(self, result):
        """{file stem: matplotlib Figure} of every figure of `result`."""
        stats, entries, title = result["stats"], result["entries"], self.title
        figures = {}
        for c in self.class_figures:
            figures[f"class_{c}_statistics"] = plots.plot_class_statistics(
                stats, c, self.class_names[c], entries[c], title)
        if self.num_classes <= 20:
            figures["class_statistics_all"] = plots.plot_class_statistics_grid(
                stats, entries, self.class_names, title)
        figures["representative_entry_roc"] = plots.plot_representative_roc(result["roc"], title)
        c = self.histogram_class
        members = result["features"][result["labels"] == c]
        if len(members):
            figures[f"feature_histogram_class_{c}"] = plots.plot_feature_histogram(
                members, entries[c], self.class_names[c], title)
        if "weights" in result:
            figures["classifier_weights"] = plots.plot_classifier_weights(
                result["kernel"], result["weights"], title)
        for layer, entry in result["separation"].items():
            if "embedding" in entry:
                figures[f"tsne_{layer}"] = plots.plot_tsne(
                    entry["embedding"], entry["embedding_labels"], layer,
                    entry["tsne"]["ratio"], title, self.class_names)
        if result["pca"]:
            figures["pca_accuracy"] = plots.plot_pca_accuracy(result["pca"], self.feature_layer,
                                                              title)
        return figures

    def run(self, output_dir, step=0):
        """Computes the analysis and writes it into `output_dir`; returns the report dict
        (the content of analysis.json plus "analysis_dir")."""
        result = self.compute()
        self._say(f"writing figures and analysis.json to {output_dir}")
        figures = self.figures(result) if self.draw_figures else {}
        report = write_report(pathlib.Path(output_dir), result, figures,
                              settings=self.settings(), step=step)
        self._say(f"micro AUC {report['micro_auc']:.3f}, macro AUC {report['macro_auc']:.3f}, "
                  f"separation ratio {report['separation_ratio']:.2f}")
        return report

    def settings(self):
        """The analysis settings as JSON-ready values (stored in analysis.json)."""
        return {"model": self.model.name, "title": self.title, "dataset": self.dataset.name,
                "preprocessing": self.preprocessing, "feature_layer": self.feature_layer,
                "logits_layer": self.logits_layer, "tsne_layers": list(self.tsne_layers),
                "tsne_examples": self.tsne_examples, "tsne_perplexity": self.tsne_perplexity,
                "pca_components": list(self.pca_components),
                "pca_train_examples": self.pca_train_examples,
                "histogram_class": self.histogram_class,
                "draw_figures": self.draw_figures, "class_figures": list(self.class_figures),
                "test_examples": self.test_examples,
                "seed": self.seed}
