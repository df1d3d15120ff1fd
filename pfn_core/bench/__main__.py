"""``python -m pfn_core.bench``: see ``pfn_core.bench.cli``."""

from pfn_core.bench.cli import main

raise SystemExit(main())
