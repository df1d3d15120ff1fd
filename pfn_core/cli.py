"""``python -m pfn_core``: cluster a CSV/TSV file from the command line, or run the benchmark.

    python -m pfn_core cluster INPUT.csv --label-column COL [--features a,b,c]
                               [--n-clusters K] [--out OUT.csv] [--save-model FITTED]
    python -m pfn_core predict --model FITTED --input TABLE --output OUT [--features a,b,c]
                               [--dask local | --scheduler tcp://HOST:PORT] [--chunk-rows N]
                               [--method model|carry]
    python -m pfn_core bench ...          (same options as ``python -m pfn_core.bench``)

``predict`` scores a CSV file, a Parquet file or a folder of Parquet files with a clusterer
saved by ``PFNClusterer.save`` (or the studio's "fitted model" download), streaming in
chunks (``pfn_core.batch_scoring``), in this process or on a Dask cluster.

``cluster`` uses the numeric columns (or ``--features``); the label column gives the anchors,
and its empty cells are the rows to cluster. With no anchors, ``--n-clusters K`` sets K, or
the model estimates it (and says so on stderr). The output is the input table plus
``predicted_cluster`` and ``confidence`` columns, written to --out (its suffix picks the
format: .csv/.txt with the input's separator, .tsv with tabs, .parquet, .gz compressed) or
to stdout. ``--save-model FITTED`` also writes the fitted clusterer, for ``predict``.
Bad input ends with a one-line message and exit code 2.
"""

from __future__ import annotations

import argparse
import io
import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from pfn_core.batch_scoring import OUTPUT_COLUMNS
from pfn_core.delimited_text import (
    RaggedRows,
    read_delimited_dialect,
    strict_read_csv,
    unreadable_text,
)
from pfn_core.preprocessing import counted
from pfn_core.studio.tabular_io import looks_like_identifier

TAB_SUFFIXES = (".tsv", ".tab", ".tsv.gz", ".tab.gz")
CLUSTER_OUT_SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".gz", ".parquet")  # --out's formats
logger = logging.getLogger("pfn_core.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pfn_core", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    cluster = commands.add_parser("cluster", help="cluster the rows of a CSV/TSV file")
    cluster.add_argument("input", help="CSV or TSV file ('-' reads stdin)")
    cluster.add_argument("--label-column", metavar="COL",
                         help="column with anchor labels; empty cells are unlabelled rows")
    cluster.add_argument("--features", metavar="A,B,C",
                         help="comma-separated feature columns (default: every numeric column)")
    cluster.add_argument("--n-clusters", type=int, metavar="K",
                         help="number of clusters when no row is labelled (default: the "
                              "model estimates it)")
    cluster.add_argument("--out", metavar="PATH",
                         help="output file, .csv, .tsv, .txt or .parquet (default: stdout)")
    cluster.add_argument("--save-model", metavar="FITTED",
                         help="also write the fitted clusterer here (.safetensors, no pickle), "
                              "to score more rows later with: predict --model FITTED")
    cluster.add_argument("--sep", help="field separator (default: tab for .tsv/.tab, else ',')")
    cluster.add_argument("--weights", metavar="PATH", help="model weights (.safetensors)")
    cluster.add_argument("--same-unit", action="store_true",
                         help="the columns share one unit (pixels, coordinates): keep their "
                              "relative spreads instead of z-scoring each column")
    predict = commands.add_parser("predict", help="score a table with a fitted clusterer file")
    predict.add_argument("--model", required=True, metavar="FITTED",
                         help="a file written by PFNClusterer.save")
    predict.add_argument("--input", required=True, metavar="TABLE",
                         help="CSV file, Parquet file or folder of Parquet files")
    predict.add_argument("--output", required=True, metavar="OUT",
                         help="output file: Parquet, or CSV when it ends in .csv/.tsv")
    predict.add_argument("--features", metavar="A,B,C",
                         help="feature columns (default: the fitted column names)")
    where = predict.add_mutually_exclusive_group()
    where.add_argument("--dask", choices=["local"],
                       help="score on a local dask.distributed cluster (one worker per core)")
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="score on the dask.distributed cluster at this scheduler")
    predict.add_argument("--chunk-rows", type=int, default=100_000, metavar="N",
                         help="rows per chunk (default 100,000)")
    predict.add_argument("--method", choices=["model", "carry"], default="model",
                         help="model: every row through the transformer (default); carry: "
                              "from the fit's nearest landmarks, 3 to 4 times faster "
                              "(python -m pfn_core.bench.scoring)")
    predict.add_argument("--no-progress", action="store_true", help="no progress bar")
    commands.add_parser("bench", help="run the benchmark (see python -m pfn_core.bench --help)",
                        add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:
        from pfn_core.bench.cli import main as bench_main

        return bench_main(argv[1:])
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    try:
        if args.command == "predict":
            return predict_command(args)
        return cluster_command(args)
    except (ValueError, OSError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2


def cluster_command(args) -> int:
    sep = args.sep or ("\t" if args.input.lower().endswith(TAB_SUFFIXES) else ",")
    out_suffix = Path(args.out).suffix.lower() if args.out else ".csv"
    if out_suffix not in CLUSTER_OUT_SUFFIXES:  # before the fit, not after it
        raise ValueError(f"--out {args.out} must end in .csv, .tsv or .txt (delimited text, "
                         "which Excel opens) or .parquet: the suffix picks the format.")
    if args.save_model is not None:  # before the fit, not after it
        check_model_path(args.save_model)
    source = sys.stdin if args.input == "-" else args.input
    if source is not sys.stdin and not Path(source).is_file():
        raise ValueError(f"input file {args.input} not found.")
    if args.sep is None and not args.input.lower().endswith(".gz"):
        # As the studio reads an upload: semicolons and decimal commas are recognised.
        data = sys.stdin.buffer.read() if source is sys.stdin else Path(source).read_bytes()
        if not data.strip():
            raise ValueError(f"{args.input} is empty: it needs a header row and data rows.")
        try:
            table, sep, _ = read_delimited_dialect(data, sep)  # the output keeps the separator
        except RaggedRows as error:  # its own advice, not "export it as CSV"
            raise error.in_file(args.input) from None
        except ValueError as error:
            raise unreadable_text(args.input, error) from None
    else:  # --sep, or a .gz file: read as given
        if source is sys.stdin:
            source = io.StringIO(sys.stdin.read())  # read twice: its first rows, then all
        try:
            table = strict_read_csv(source, sep)
        except RaggedRows as error:
            raise error.in_file(args.input) from None
    if table.empty:
        raise ValueError(f"{args.input} has no data rows.")
    features = choose_features(table, args.features, args.label_column)
    y = anchor_labels(table, args.label_column)
    from pfn_core.estimator import PFNClusterer

    estimator = PFNClusterer(weights=args.weights, n_clusters=args.n_clusters,
                             scale_columns=not args.same_unit)
    estimator.fit(table[features], np.array(y, dtype=object))
    if estimator.n_clusters_scores_ is not None:  # no anchors and no K: the model chose K
        k = estimator.n_clusters_
        sys.stderr.write(f"no anchors and no --n-clusters: the model found {k} "
                         f"cluster{'' if k == 1 else 's'} (pass --n-clusters K to choose)\n")
    if estimator.used_own_clustering_:  # few anchors, all agreeing with the model's own
        sys.stderr.write("few anchors per label, all agreeing with the model's own clustering "
                         "of the table: that clustering is used, named by them (about 5 "
                         "anchors per label let the anchors steer)\n")
    sys.stderr.write(summary_line(estimator) + "\n")
    if args.save_model is not None:
        estimator.save(args.save_model)
        sys.stderr.write(f"saved the fitted clusterer to {args.save_model}: score new rows "
                         f"with python -m pfn_core predict --model {args.save_model} "
                         "--input TABLE --output OUT\n")
    result = table.copy()
    if args.label_column is not None and _whole_numbers(result[args.label_column]):
        result[args.label_column] = result[args.label_column].astype("Int64")  # 1.0 -> 1
    for column in OUTPUT_COLUMNS:
        if column in result.columns:
            logger.warning("overwriting the input's %r column", column)
    result["predicted_cluster"] = estimator.labels_
    result["confidence"] = np.round(estimator.proba_.max(axis=1), 4)
    if out_suffix == ".parquet":
        result["predicted_cluster"] = result["predicted_cluster"].astype(str)  # one type
        result.to_parquet(args.out, index=False)
        return 0
    if out_suffix in TAB_SUFFIXES and args.sep is None:
        sep = "\t"  # a .tsv asked for gets tabs, whatever the input's separator
    result.to_csv(args.out if args.out else sys.stdout, sep=sep, index=False)
    return 0


def check_model_path(path: str) -> None:
    """ValueError unless a fitted clusterer can be written at `path`: a file name (not a
    folder, ``fitted_io.refuse_folder`` as ``save`` checks it) in a folder that exists."""
    from pfn_core.fitted_io import refuse_folder

    refuse_folder(path)
    target = Path(path)
    if not target.parent.is_dir():
        raise ValueError(f"--save-model {path}: the folder {target.parent} does not exist; "
                         "create it or save elsewhere.")


def summary_line(estimator) -> str:
    """One line on a fit: its clusters with their sizes and, with anchors, the model's own
    estimate of the share of unlabelled rows it has right (``comparison.expected_share_right``,
    as the studio shows it)."""
    from pfn_core.studio.comparison import cluster_sizes, expected_share_right

    sizes = cluster_sizes(estimator.labels_)
    shown = ", ".join(f"{row.label} {row.count}" for row in sizes.head(10).itertuples())
    more = f", and {len(sizes) - 10} more" if len(sizes) > 10 else ""
    line = f"{counted(len(sizes), 'cluster')}: {shown}{more}"
    expected = expected_share_right(estimator.confidence_,
                                    np.flatnonzero(estimator.anchor_mask_))
    if expected is not None:
        free = counted(int((~estimator.anchor_mask_).sum()), "unlabelled row")
        line += (f"; the model expects about {expected:.0%} of the {free} to be in the right "
                 "cluster (its mean calibrated confidence)")
    return line


def predict_command(args) -> int:
    """Score --input with --model into --output (see ``batch_scoring.score_table``)."""
    from tqdm import tqdm

    from pfn_core.batch_scoring import count_rows, score_table

    features = ([n.strip() for n in args.features.split(",") if n.strip()]
                if args.features else None)
    total = count_rows(args.input) if Path(args.input).exists() else None
    bar = tqdm(total=total, unit="rows", unit_scale=True, disable=args.no_progress,
               desc="scoring", file=sys.stderr)
    with bar, _dask_client(args) as client:
        rows = score_table(args.model, args.input, args.output, features, args.chunk_rows,
                           client, progress=bar.update, method=args.method)
    sys.stderr.write(f"wrote {rows:,} rows to {args.output}\n")
    return 0


class _dask_client:
    """A dask.distributed Client for --dask local (a LocalCluster on loopback, one
    single-threaded worker per core) or --scheduler ADDRESS; None without either."""

    def __init__(self, args):
        self.args, self.client, self.cluster = args, None, None

    def __enter__(self):
        if self.args.dask is None and self.args.scheduler is None:
            return None
        from distributed import Client, LocalCluster

        # The scheduler of --dask local runs in this process: its start-up and shut-down
        # notes (a screenful at INFO) would bury the command's own lines.
        logging.getLogger("distributed").setLevel(logging.WARNING)
        if self.args.dask == "local":
            import os

            self.cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1,
                                        host="127.0.0.1", dashboard_address=None,
                                        processes=True)
            self.client = Client(self.cluster)
        else:
            self.client = Client(self.args.scheduler)
        self.client.run(_one_torch_thread)
        return self.client

    def __exit__(self, *exc):
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _one_torch_thread() -> None:
    import torch

    torch.set_num_threads(1)


def choose_features(table: pd.DataFrame, requested: str | None, label_column: str | None):
    """The feature column names: `requested` (comma-separated) or every numeric column but
    those that look like row identifiers (``tabular_io.looks_like_identifier``; kept when
    nothing else is numeric)."""
    if label_column is not None and label_column not in table.columns:
        raise ValueError(f"label column {label_column!r} not found; columns are "
                         f"{', '.join(map(str, table.columns))}.")
    if requested:
        names = [name.strip() for name in requested.split(",") if name.strip()]
        missing = [name for name in names if name not in table.columns]
        if missing:
            raise ValueError(f"feature columns {', '.join(map(repr, missing))} not found; "
                             f"columns are {', '.join(map(str, table.columns))}.")
        return names
    names = [column for column in table.columns if column != label_column
             and column not in OUTPUT_COLUMNS
             and pd.api.types.is_numeric_dtype(table[column])
             and not pd.api.types.is_bool_dtype(table[column])]
    identifiers = [column for column in names if looks_like_identifier(column, table[column])]
    if identifiers and len(identifiers) < len(names):
        sys.stderr.write(f"left out {', '.join(map(str, identifiers))}: distinct whole numbers, "
                         "like a row identifier (pass --features to use them)\n")
        names = [column for column in names if column not in identifiers]
    if not names:
        raise ValueError("no numeric feature columns found; pick columns with --features.")
    return names


def anchor_labels(table: pd.DataFrame, label_column: str | None) -> list:
    """One label per row, None for unlabelled rows (empty cells or no label column).

    Whole-number floats (how pandas reads an int column with gaps) become ints."""
    if label_column is None:
        return [None] * len(table)
    labels = []
    for value in table[label_column].tolist():
        if value is None or (isinstance(value, float) and np.isnan(value)):
            labels.append(None)
        elif isinstance(value, float) and value.is_integer():
            labels.append(int(value))
        elif isinstance(value, str) and not value.strip():
            labels.append(None)
        else:
            labels.append(value)
    return labels


def _whole_numbers(column: pd.Series) -> bool:
    """True for a float column whose values are all whole numbers or missing."""
    if not pd.api.types.is_float_dtype(column):
        return False
    present = column.dropna()
    return bool((present == np.round(present)).all())
