"""The clustering-quality benchmark (../shared/bench/PROTOCOL.md).

- ``datasets``: where the data lives and how each named dataset is read.
- ``protocol``: standardisation, anchor drawing and scoring, exactly as the protocol says.
- ``baselines``: the scikit-learn reference methods.
- ``runner``: ``run_benchmark`` -> one record per dataset, level, seed and method.
- ``summary`` and ``report``: the numbers and the markdown of BENCHMARKS.md.
- ``cli``: ``python -m pfn_core.bench``.

Example (in-memory data, no shared folder needed):
>>> import numpy as np
>>> from pfn_core.bench import run_benchmark
>>> rng = np.random.default_rng(0)
>>> X = np.concatenate([rng.normal(0, 1, (30, 2)), rng.normal(6, 1, (30, 2))])
>>> y = np.repeat([1, 2], 30)
>>> records = run_benchmark({"blobs": (X, y)}, levels=[1], seeds=[0], methods=["knn1"])
>>> records[0]["ari"] > 0.9
True
"""

from pfn_core.bench.datasets import load_dataset, read_suite, resolve_shared_root
from pfn_core.bench.protocol import draw_anchors, score_without_anchors, standardize_for_protocol
from pfn_core.bench.report import render_report, write_report
from pfn_core.bench.runner import run_benchmark

__all__ = [
    "draw_anchors",
    "load_dataset",
    "read_suite",
    "render_report",
    "resolve_shared_root",
    "run_benchmark",
    "score_without_anchors",
    "standardize_for_protocol",
    "write_report",
]
