"""PNG figures of ``--paper`` (``pfn_core.bench.paper``), drawn with matplotlib's object
API (no pyplot, no global state), from the same frames that are saved as CSV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

NAMES = {"model": "PFN (this model)", "kmeans": "K-means", "ward": "agglomerative (Ward)",
         "knn1": "1-NN on the samples", "label_spreading": "label spreading"}
COLOURS = {"model": "#d62728", "kmeans": "#1f77b4", "ward": "#2ca02c", "knn1": "#9467bd",
           "label_spreading": "#ff7f0e"}
METRICS = {"accuracy": "accuracy (Hungarian-matched)", "v_measure": "V-measure"}


def pre_clustered_figure(curve: pd.DataFrame, path: Path) -> Path:
    """Figure 2: one row per dataset, accuracy and V-measure against k; mean +- std."""
    datasets = list(dict.fromkeys(curve["dataset"]))
    fig = Figure(figsize=(10, 3.6 * len(datasets)), layout="constrained")
    axes = fig.subplots(len(datasets), 2, squeeze=False)
    for row, dataset in enumerate(datasets):
        part = curve[curve["dataset"] == dataset]
        for col, metric in enumerate(METRICS):
            ax = axes[row, col]
            for method, runs in part.groupby("method", sort=False):
                stats = runs.groupby("k")[metric].agg(["mean", "std"]).fillna(0.0)
                ax.errorbar(stats.index, stats["mean"], yerr=stats["std"], marker="o",
                            capsize=3, label=NAMES[method], color=COLOURS[method],
                            linestyle="--" if method in ("kmeans", "ward") else "-")
            ax.set_xscale("symlog", linthresh=10)
            ax.set_xticks(sorted(part["k"].unique()), labels=sorted(part["k"].unique()))
            ax.set_ylim(0, 1)
            ax.set_xlabel("pre-clustered samples k")
            ax.set_ylabel(METRICS[metric])
            ax.set_title(f"{dataset} ({part['n_rows'].iloc[0]:,} rows)")
            ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8, loc="lower right")
    fig.savefig(path, dpi=110)
    return path


def runtime_figure(runtime: pd.DataFrame, path: Path) -> Path:
    """Figure 4: seconds against rows, log-log, one line per method and device."""
    fig = Figure(figsize=(6.5, 4.5), layout="constrained")
    ax = fig.subplots()
    for (method, device), runs in runtime.groupby(["method", "device"], sort=False):
        ax.plot(runs["n_rows"], runs["seconds"], marker="o", color=COLOURS[method],
                linestyle=":" if device != "cpu" else "-", label=f"{NAMES[method]} ({device})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("rows")
    ax.set_ylabel("seconds (first fit of the table)")
    ax.set_title("Runtime: 50 columns, 10 clusters, 100 pre-clustered samples")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)
    return path


def separation_figure(separation: pd.DataFrame, examples: dict, path: Path) -> Path:
    """Figure 1: the model's zero-shot clusters per separation (top), accuracy of every
    method against separation (bottom). examples: separation -> (X (N, 2), labels (N,))."""
    shown = list(examples)
    fig = Figure(figsize=(2.2 * max(len(shown), 3), 6.2), layout="constrained")
    grid = fig.add_gridspec(2, len(shown), height_ratios=[1, 1.3])
    for i, value in enumerate(shown):
        X, labels = examples[value]
        ax = fig.add_subplot(grid[0, i])
        ax.scatter(X[:, 0], X[:, 1], c=np.unique(labels, return_inverse=True)[1], s=4,
                   cmap="tab10", vmin=0, vmax=9)
        ax.set_title(f"separation {value:g}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_aspect("equal", adjustable="datalim")
    ax = fig.add_subplot(grid[1, :])
    for method, runs in separation.groupby("method", sort=False):
        stats = runs.groupby("separation")["accuracy"].agg(["mean", "std"]).fillna(0.0)
        ax.errorbar(stats.index, stats["mean"], yerr=stats["std"], marker="o", capsize=3,
                    color=COLOURS[method], label=NAMES[method] + (
                        " without samples (K given)" if method == "model" else ""))
    ax.invert_xaxis()
    ax.set_xlabel("distance between blob centres, in blob spreads (decreasing)")
    ax.set_ylabel(METRICS["accuracy"])
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.suptitle("Zero-shot: three 2-D Gaussian blobs coming closer (top: the model, "
                 "first seed)", fontsize=10)
    fig.savefig(path, dpi=110)
    return path
