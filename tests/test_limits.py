"""The limits live in pfn_core/limits.py; the studio's config agrees with them, and the loader
refuses, names and (on request) samples a table over them."""

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pfn_core import limits
from pfn_core.studio import tabular_io

ROOT = Path(__file__).resolve().parents[1]


def test__streamlit_upload_limit__is_the_library_setting():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == limits.MAX_UPLOAD_MB


def test__readme__names_every_limit():
    readme = (ROOT / "README.md").read_text()
    for name in ("MAX_UPLOAD_MB", "MAX_ROWS", "MAX_COLUMNS", "pfn_core/limits.py"):
        assert name in readme


def test__read_table__refuses_a_file_over_the_upload_limit(monkeypatch):
    monkeypatch.setattr(limits, "MAX_UPLOAD_MB", 1)
    data = b"a,b\n" + b"1,2\n" * 300_000
    with pytest.raises(ValueError, match="over the 1 MB limit"):
        tabular_io.read_table("big.csv", data)


def test__check_size__names_the_limit_and_shrink_samples_down_to_it(monkeypatch):
    monkeypatch.setattr(limits, "MAX_ROWS", 50)
    monkeypatch.setattr(limits, "MAX_COLUMNS", 3)
    frame = pd.DataFrame(np.arange(120 * 5).reshape(120, 5), columns=list("abcde"))
    with pytest.raises(tabular_io.TableTooLarge) as error:
        tabular_io.check_size(frame)
    assert isinstance(error.value, ValueError)
    assert "120 rows (the limit is 50)" in str(error.value)
    assert "5 columns (the limit is 3)" in str(error.value)
    small = tabular_io.shrink(frame, np.random.default_rng(0))
    assert small.shape == (50, 3) and list(small.columns) == ["a", "b", "c"]
    assert small["a"].is_monotonic_increasing and small["a"].is_unique
    assert set(small["a"]) <= set(frame["a"])
    tabular_io.check_size(small)
    tabular_io.check_size(frame.iloc[:50, :3])  # at the limit is fine


def test__read_table__makes_column_names_distinct_and_non_empty():
    frame = tabular_io.read_table("x.xlsx", _excel({"a": [1, 2], " ": [3, 4]}))
    assert list(frame.columns) == ["a", "column 2"]
    assert tabular_io.unique_column_names(["a", "a", "", "a (2)", 3]) == [
        "a", "a (2)", "column 3", "a (2) (2)", "3"]


def _excel(columns) -> bytes:
    import io

    buffer = io.BytesIO()
    pd.DataFrame(columns).to_excel(buffer, index=False)
    return buffer.getvalue()
