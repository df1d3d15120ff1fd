"""Session names: safe in a URL, readable when random."""

import numpy as np
import pytest

from pfn_core.studio.session_names import check_session_name, random_session_name

TABLE = "fp-table-1"


@pytest.mark.parametrize("name", ["", " ", "-lead", "a/b", "a b", "é", "x" * 49, "<b>", None])
def test__check_session_name__refuses_names_unsafe_in_a_url(name):
    with pytest.raises(ValueError, match="is not a session name"):
        check_session_name(name)


def test__random_session_name__is_a_valid_name():
    rng = np.random.default_rng(0)
    names = {random_session_name(rng) for _ in range(50)}
    assert len(names) == 50 and all(check_session_name(n) == n for n in names)
