"""Writes a feature analysis: PNG figures, TensorBoard images and scalars, JSON and Markdown.

Files in the output folder: one PNG per figure, `analysis.json` (every number, see
`_report_numbers`) and `analysis.md` (the headline table and the PCA table); TensorBoard
(an events file in the same folder): images `analysis/<figure>` and scalars
`analysis/<number>` at the model's step.
"""

import json
import math

from infodl.analysis.figure_files import save_figure_png
from infodl.run_folder.atomic import write_json_atomic
from infodl.run_folder.summary_writer import SummaryWriter

JSON_FILE = "analysis.json"
FIGURE_DPI = 110  # drawn once, for the PNG file and TensorBoard
MARKDOWN_FILE = "analysis.md"
HEADLINE = (("test_accuracy", "test accuracy (argmax of the logits layer)"),
            ("weight_zero_fraction", "fraction of w exactly 0"),
            ("weight_zero_row_fraction", "fraction of feature entries with an all-zero row of w"),
            ("weight_column_norm_mean", "mean ‖w_j‖₂ (column norm of w)"),
            ("micro_auc", "micro-average AUC of representative entries (P2 Fig. 3)"),
            ("macro_auc", "macro-average AUC of representative entries (P2 Fig. 3)"),
            ("separation_ratio", "separation ratio, feature space, all test images (P3)"),
            ("tsne_separation_ratio", "separation ratio, 2-D t-SNE of the features (P3 Fig. 5)"))


def _report_numbers(result):
    """The JSON-ready numbers of an analysis `result` (`FeatureAnalysis.compute`)."""
    feature_separation = next(iter(result["separation"].values()))
    numbers = {
        "test_examples": int(len(result["labels"])), "feature_dim": int(result["feature_dim"]),
        "micro_auc": result["roc"]["micro"]["auc"], "macro_auc": result["roc"]["macro"]["auc"],
        "mean_class_auc": result["roc"]["mean_class_auc"],
        "representative_entries": [int(e) for e in result["entries"]],
        "per_class_auc": [{k: item[k] for k in ("class", "entry", "auc")}
                          for item in result["roc"]["per_class"]],
        "class_counts": [int(n) for n in result["stats"]["counts"]],
        "separation_ratio": feature_separation["feature_space"]["ratio"],
        "separation": {layer: {space: entry[space] for space in ("feature_space", "tsne")
                               if space in entry}
                       for layer, entry in result["separation"].items()},
        "pca": result["pca"],
    }
    if "tsne" in feature_separation:
        numbers["tsne_separation_ratio"] = feature_separation["tsne"]["ratio"]
    if "test_accuracy" in result:
        numbers["test_accuracy"] = result["test_accuracy"]
    if "weights" in result:
        weights = result["weights"]
        numbers.update(weight_zero_fraction=weights["zero_fraction"],
                       weight_zero_row_fraction=weights["zero_row_fraction"],
                       weight_column_norm_mean=weights["column_norm_mean"],
                       weight_column_norms=[float(v) for v in weights["column_norms"]],
                       weight_l1_norm=weights["l1_norm"])
    return numbers


def markdown_table(report):
    """The headline numbers and the PCA rows as Markdown."""
    title = report.get("title") or report.get("model", "model")
    lines = [f"# Feature analysis: {title}", "",
             f"Layer `{report.get('feature_layer')}` ({report['feature_dim']} entries), "
             f"{report['test_examples']} test images of `{report.get('dataset')}`, "
             f"step {report.get('step')}.", "", "| quantity | value |", "|---|---|"]
    for key, label in HEADLINE:
        if report.get(key) is not None:
            lines.append(f"| {label} | {report[key]:.4f} |")
    lines.append("| representative entries (class 0, 1, ...) | "
                 f"{', '.join(str(e) for e in report['representative_entries'])} |")
    for layer, spaces in report["separation"].items():
        if layer == report.get("feature_layer"):
            continue  # in the headline rows
        for space, value in spaces.items():
            lines.append(f"| separation ratio of `{layer}` ({space.replace('_', ' ')}) | "
                         f"{value['ratio']:.4f} |")
    if report["pca"]:
        lines += ["", "| principal components | explained variance | linear SVM accuracy | "
                      "1-NN accuracy |", "|---|---|---|---|"]
        lines += [f"| {row['components']} | {row['explained_variance']:.3f} | "
                  f"{row['svm_accuracy']:.4f}{'' if row['svm_converged'] else ' (not converged)'} "
                  f"| {row['nearest_neighbour_accuracy']:.4f} |" for row in report["pca"]]
    lines += ["", "Figures: " + ", ".join(f"`{name}`" for name in report["figures"])]
    return "\n".join(lines) + "\n"


def write_report(output_dir, result, figures, settings, step=0):
    """Writes figures (PNG + TensorBoard), analysis.json and analysis.md; returns the report."""
    output_dir.mkdir(parents=True, exist_ok=True)
    writer = SummaryWriter.for_log_dir(output_dir)
    paths = {}
    for name, figure in figures.items():
        paths[name] = f"{name}.png"
        save_figure_png(figure, output_dir / paths[name], dpi=FIGURE_DPI)
        writer.png(f"analysis/{name}", (output_dir / paths[name]).read_bytes(), step)
    report = {**settings, "step": int(step), **_report_numbers(result), "figures": paths}
    for key, _ in HEADLINE:
        value = report.get(key)
        if value is not None and math.isfinite(value):
            writer.scalar(f"analysis/{key}", value, step)
    writer.flush()
    write_json_atomic(output_dir / JSON_FILE, json.loads(json.dumps(report, default=float)))
    (output_dir / MARKDOWN_FILE).write_text(markdown_table(report))
    return {**report, "analysis_dir": str(output_dir)}
