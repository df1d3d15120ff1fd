"""Every cache of the studio server has its bound in ``cache_bounds``, and the counts keep
the largest entries the limits allow within the stated budgets."""

import re
from pathlib import Path

from pfn_core import limits
from pfn_core.studio import cache_bounds, projection

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "app.py", *sorted((REPO / "pages").rglob("*.py"))]


def test__every_cache_data_in_the_pages_takes_its_count_from_cache_bounds():
    for page in PAGES:
        for decorator in re.findall(r"@st\.cache_data\((.*?)\)\n", page.read_text(),
                                    flags=re.DOTALL):
            count = re.search(r"max_entries=([\w.]+)", decorator)
            assert count, f"{page.name}: st.cache_data({decorator}) has no max_entries"
            name = count[1].removeprefix("cache_bounds.")
            assert count[1] == "1" or hasattr(cache_bounds, name), f"{page.name}: {count[1]}"


def test__the_fit_results_kept_in_memory_fit_their_byte_budget_at_the_limits():
    largest = cache_bounds.fit_result_bytes(limits.MAX_ROWS, limits.MAX_LABELS)
    assert cache_bounds.FIT_RESULTS * largest <= cache_bounds.FIT_RESULTS_BUDGET
    assert cache_bounds.FEATURES * cache_bounds.features_bytes() <= cache_bounds.FEATURES_BUDGET
    assert projection._MEMORY_LIMIT == cache_bounds.MAPS


def test__in_memory_bytes__grows_with_the_table_and_the_readme_states_it_at_the_limits():
    small = cache_bounds.in_memory_bytes(1_000, 2, 3)
    assert small < cache_bounds.in_memory_bytes(10_000, 2, 3) < cache_bounds.in_memory_bytes()
    gib = f"{cache_bounds.in_memory_bytes() / 2**30:.1f} GiB"
    assert gib in (REPO / "README.md").read_text()
