"""``python -m pfn_core``: see ``pfn_core.cli``."""

from pfn_core.cli import main

raise SystemExit(main())
