"""``python -m pfn_core.bench.calibration``: is ``proba_`` honest on the dev suite?

For every dataset, anchor level (0 with K given, 1, 3, 10 per cluster) and seed (the
protocol's draws and standardisation), the model clusters the table once with its raw softmax
(``PFNClusterer(calibrate=False)``); the shipped temperature rule
(``weights/calibration.json``, fitted on prior draws by ``python -m pfn_core.calibrate``,
never on this data) then sets the table's temperature from the fit's anchors per class,
classes and graph cut, as the estimator does, and scales the same output. Expected
calibration error (15 bins) on the rows that are not anchors, before and after: the mean
over datasets of each dataset's ECE (seeds averaged), and the ECE of all rows pooled. A last
column is a bound, not a method: each table scaled by
the temperature that fits its own answers best (``calibration.fit_temperature`` on its
truth), the lowest mean per-dataset ECE any one-temperature-per-table scaling can reach.
``--png`` draws the pooled reliability diagram. ``--anchors lasso`` draws each cluster's
anchors as one patch (``bench.lasso_anchors``: a random member and its nearest fellow
members), as the studio's lasso makes them, instead of at random: the rule was fitted on
random anchors only, and this reading shows how far its confidence holds for lassos. Needs
``../shared`` (skipped with a message when absent), except with ``--heldout DRAWS``: the
held-out families of ``bench.few_anchors`` instead, tables no calibration setting was
chosen on.

    python -m pfn_core.bench.calibration --threads 1 --png docs/reliability.png
    python -m pfn_core.bench.calibration --threads 1 --heldout 4
    python -m pfn_core.bench.calibration --threads 2 --anchors lasso --levels 3 10 40
"""

from __future__ import annotations

import json
import statistics

import numpy as np

from pfn_core.bench.datasets import suite_parser
from pfn_core.bench.few_anchors import add_heldout_option, suite_or_heldout_tables
from pfn_core.bench.lasso_anchors import lasso_anchors
from pfn_core.bench.protocol import standardize_for_protocol
from pfn_core.calibrate import LEVELS, calibrated, raw_output
from pfn_core.calibration import (
    RULE,
    apply_temperature,
    calibration_error,
    expected_calibration_error,
    fit_temperature,
    load_rule,
    reliability_bins,
)

ANCHOR_DRAWS = {"random": "drawn at random from each cluster",
                "lasso": "one lasso patch per cluster"}


def draw_reliability(pooled: dict, path: str) -> None:
    """Reliability diagram: accuracy against confidence per level, raw and calibrated.
    pooled: {level: {"raw": (proba, truth) lists, "calibrated": ...}}"""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(pooled), figsize=(4 * len(pooled), 4), sharey=True)
    for axis, (level, kinds) in zip(np.atleast_1d(axes), pooled.items(), strict=True):
        axis.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect")
        for kind, colour in (("raw", "tab:red"), ("calibrated", "tab:blue")):
            confidence, correct = kinds[kind]
            count, mean_conf, accuracy = reliability_bins(confidence, correct)
            filled = count > 0
            ece = calibration_error(count, mean_conf, accuracy)
            axis.plot(mean_conf[filled], accuracy[filled], marker="o", color=colour,
                      label=f"{kind} (ECE {ece:.3f})")
        axis.set_title("no anchors (K given)" if level == 0 else
                       f"{level} anchor{'s' if level > 1 else ''} per cluster")
        axis.set_xlabel("confidence (15 bins)")
        axis.legend(loc="upper left", fontsize=8)
    np.atleast_1d(axes)[0].set_ylabel("accuracy")
    figure.suptitle("Reliability on the dev suite (non-anchor rows; with anchors, 3 seeds pooled)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv=None) -> int:
    parser = suite_parser("python -m pfn_core.bench.calibration", __doc__)
    parser.add_argument("--levels", nargs="+", type=int, default=list(LEVELS))
    parser.add_argument("--calibration", help="calibration file (default: the shipped one)")
    parser.add_argument("--png", help="write the reliability diagram here")
    parser.add_argument("--anchors", choices=ANCHOR_DRAWS, default="random",
                        help="anchors drawn at random from each cluster (the protocol's "
                             "draw) or as one lasso patch per cluster")
    add_heldout_option(parser)
    args = parser.parse_args(argv)
    tables = suite_or_heldout_tables(args)
    if tables is None:
        return 0
    rule = load_rule(args.calibration)
    per_dataset = {level: {"raw": [], "calibrated": [], "best": []} for level in args.levels}
    pooled = {level: {"raw": ([], []), "calibrated": ([], [])} for level in args.levels}
    estimate_gaps = {level: [] for level in args.levels}  # per fit: mean confidence - accuracy
    names = []
    for name, X, y in tables:
        names.append(name)
        y = np.unique(y, return_inverse=True)[1]
        X = standardize_for_protocol(X)
        for level in args.levels:
            eces = {"raw": [], "calibrated": [], "best": []}
            for seed in args.seeds[:1] if level == 0 else args.seeds:  # 0: no draw to vary
                anchors = (lasso_anchors(X, y, level, seed)
                           if args.anchors == "lasso" and level > 0 else None)
                raw = raw_output(X, y, level, seed, anchors=anchors, scale_columns=False)
                proba, truth = raw.proba, raw.truth
                scaled = calibrated(raw, rule)  # as the estimator scales it
                estimate_gaps[level].append(
                    float(scaled.max(1).mean() - (scaled.argmax(1) == truth).mean()))
                for kind, p in (("raw", proba), ("calibrated", scaled)):
                    eces[kind].append(expected_calibration_error(p, truth))
                    pooled[level][kind][0].append(p.max(1))
                    pooled[level][kind][1].append(p.argmax(1) == truth)
                best = apply_temperature(proba, fit_temperature(proba, truth))  # the bound
                eces["best"].append(expected_calibration_error(best, truth))
            for kind in eces:
                per_dataset[level][kind].append(statistics.mean(eces[kind]))
        if args.results_json:
            with open(args.results_json, "w") as handle:
                json.dump({"datasets": names,
                           "ece": {str(k): v for k, v in per_dataset.items()}}, handle)
    flat = {level: {kind: (np.concatenate(c), np.concatenate(k))
                    for kind, (c, k) in kinds.items()} for level, kinds in pooled.items()}
    where = f"{args.heldout} held-out draws per family" if args.heldout else "the dev suite"
    print(f"Calibration on {where} ({len(names)} datasets, seeds {args.seeds}, anchors "
          f"{ANCHOR_DRAWS[args.anchors]}); "
          f"rule {RULE}: {rule}\n")
    print("| anchors per cluster | ECE raw (mean over datasets) | ECE calibrated | "
          "ECE raw (rows pooled) | ECE calibrated (pooled) | bound: each table's own best "
          "temperature (mean over datasets) |\n|---|---|---|---|---|---|")
    for level in args.levels:
        pooled_ece = {}
        for kind in ("raw", "calibrated"):
            pooled_ece[kind] = calibration_error(*reliability_bins(*flat[level][kind]))
        print(f"| {level} | {statistics.mean(per_dataset[level]['raw']):.3f} | "
              f"{statistics.mean(per_dataset[level]['calibrated']):.3f} | "
              f"{pooled_ece['raw']:.3f} | {pooled_ece['calibrated']:.3f} | "
              f"{statistics.mean(per_dataset[level]['best']):.3f} |")
    print("\nThe share of rows right, as the calibrated confidence estimates it (its mean over "
          "the rows that are not anchors, as the studio shows it), against the true share, "
          "fit by fit:\n\n| anchors per cluster | fits | median gap | 90th percentile of the "
          "gap | mean (estimate - truth) |\n|---|---|---|---|---|")
    for level in args.levels:
        gaps = np.asarray(estimate_gaps[level])
        print(f"| {level} | {len(gaps)} | {np.median(np.abs(gaps)):.3f} | "
              f"{np.quantile(np.abs(gaps), 0.9):.3f} | {gaps.mean():+.3f} |")
    if args.png:
        draw_reliability(flat, args.png)
        print(f"\nreliability diagram: {args.png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
