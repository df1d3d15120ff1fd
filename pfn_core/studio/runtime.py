"""Process settings for the studio's server.

The studio's server and the analyst's browser usually share one machine, and the browser is
busy drawing both maps while the server re-clusters. Torch's default, one thread per core,
then fights the browser for every core: on a 2-core machine a 10,000-row fit took a median
1.58 s inside the studio with two threads and 0.62 s with one
(``python -m pfn_core.bench.studio_latency``, figures in BENCHMARKS.md). So the studio gives
torch half the CPUs; ``PFN_STUDIO_THREADS`` overrides that (e.g. on a server whose users'
browsers run elsewhere). The path searches use every core whatever this setting
(``path_search.search_threads``): they do not spin.
"""

from __future__ import annotations

import os

import torch

THREADS_VARIABLE = "PFN_STUDIO_THREADS"


def studio_threads(cpu_count: int | None = None, environ=None) -> int:
    """Torch threads for the studio: ``PFN_STUDIO_THREADS`` if set, else half the CPUs
    (at least one). A setting that is not a whole number >= 1 raises ValueError."""
    environ = os.environ if environ is None else environ
    setting = environ.get(THREADS_VARIABLE, "").strip()
    if setting:
        if not setting.isdigit() or int(setting) < 1:
            raise ValueError(f"{THREADS_VARIABLE} must be a whole number >= 1, got "
                             f"{setting!r}; unset it to use half the CPUs.")
        return int(setting)
    cpus = cpu_count if cpu_count is not None else (os.cpu_count() or 1)
    return max(1, cpus // 2)


def share_cores_with_browser() -> str | None:
    """Set torch's thread count for this process (see the module docstring). A bad
    ``PFN_STUDIO_THREADS`` does not stop the studio: half the CPUs are used and the
    returned message says what to fix (None when all is well)."""
    problem = None
    try:
        threads = studio_threads()
    except ValueError as error:
        threads = studio_threads(environ={})
        problem = f"{error} Using {threads} threads meanwhile."
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return problem
