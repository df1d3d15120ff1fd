"""One BLAS thread for numpy and scipy while the model fits or predicts.

numpy and scipy call OpenBLAS, which by default starts a thread per core and lets it spin
for a while after every call, waiting for the next. The model's own arithmetic runs in
torch, whose threads want the same cores: each small numpy product between two torch calls
left OpenBLAS threads spinning beside torch's. With numpy's BLAS held to one thread during a
fit (torch keeps its threads), a 10,000-row fit with 5 anchors per cluster took 0.43 s
instead of 0.49 s and a re-cluster 0.28 s instead of 0.36 s (medians of 5, this 2-core
machine, ``OPENBLAS_NUM_THREADS=1`` against the default; 100,000 rows: 0.98 / 0.35 s
against 1.01 / 0.41 s). The numpy products in a fit are small (a few thousand rows by a few
dozen columns): one thread computes them as fast.

The limit is process-wide while it holds (threadpoolctl sets OpenBLAS's own count), and the
previous count comes back when the fit returns.
"""

from __future__ import annotations

import contextlib


@contextlib.contextmanager
def single_blas_thread():
    """numpy's and scipy's BLAS on one thread inside the block (also a decorator:
    ``@single_blas_thread()``); torch's threads are left as they are. The libraries are
    looked up at each entry (0.3 ms), so one loaded after the first fit is held too."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield
