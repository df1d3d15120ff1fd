"""Reading an uploaded table and turning the chosen columns into numeric features.

``read_table`` understands CSV, TSV, Parquet and Excel (delimited text through
``pfn_core.delimited_text``, as the command line reads it); ``prepare_features`` returns X
(N, D') with NaN kept (the model's preprocessing imputes medians) plus notes for the analyst
about what was done to each column. ``check_size`` and ``shrink`` apply ``pfn_core.limits``.

Nothing from an upload is unpickled, evaluated or used as a path: the bytes are parsed by
pandas' CSV, Parquet and Excel readers only, and the file name only picks the reader.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pfn_core import limits
from pfn_core.delimited_text import (  # noqa: F401  (read_delimited: public here too)
    RaggedRows,
    numeric_columns,
    read_delimited,
    read_delimited_dialect,
)
from pfn_core.preprocessing import counted

MAX_CATEGORIES = limits.MAX_CATEGORIES  # more distinct text values are refused, not one-hot

_CSV_EXTENSIONS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
_SUPPORTED = ".csv, .tsv, .tab, .parquet, .xlsx, .xls"


@dataclass
class PreparedFeatures:
    """Numeric features for the model.

    X: (N, D') float64, NaN where values are missing; feature_names: (D',) one per column of X;
    notes: human-readable messages about conversions (one-hot encoding, missing values, ...).
    """

    X: np.ndarray
    notes: list[str] = field(default_factory=list)
    feature_names: list[str] = field(default_factory=list)


def read_table(file_name: str, data: bytes) -> pd.DataFrame:
    """Parse an uploaded file by its extension into a DataFrame with string column names.

    Raises ValueError for an unknown extension, an empty file, unparseable content, a row
    with more fields than the header names columns (``RaggedRows``) or a table without data
    rows, saying what to do instead.
    """
    extension = Path(str(file_name)).suffix.lower()
    if extension not in {*_CSV_EXTENSIONS, ".parquet", ".pq", ".xlsx", ".xls"}:
        raise ValueError(
            f"{file_name!r} has an unsupported extension {extension or '(none)'!r}; "
            f"upload one of: {_SUPPORTED}."
        )
    if len(data) > limits.MAX_UPLOAD_MB * 1024 * 1024:
        raise ValueError(
            f"{file_name!r} is {len(data) / 2**20:,.0f} MB, over the {limits.MAX_UPLOAD_MB} MB "
            "limit; upload a sample of its rows or only the columns you need."
        )
    if not data or not data.strip():
        raise ValueError(
            f"{file_name!r} is empty; upload a file with a header row and at least one data row."
        )
    try:
        if extension in _CSV_EXTENSIONS:
            frame = read_delimited(data, _CSV_EXTENSIONS[extension])
        elif extension in {".parquet", ".pq"}:
            frame = pd.read_parquet(io.BytesIO(data))
        else:
            frame = pd.read_excel(io.BytesIO(data), engine="openpyxl")
    except RaggedRows as error:  # its own advice, not "export it as CSV"
        raise error.in_file(repr(file_name)) from None
    except Exception as error:  # every parser raises its own types; report them alike
        hint = (
            "for old .xls files, save them as .xlsx or CSV first"
            if extension == ".xls"
            else f"check that it really is a {extension} file, or export it as CSV"
        )
        raise ValueError(f"could not read {file_name!r} ({error}); {hint}.") from None
    if len(frame) == 0:
        raise ValueError(
            f"{file_name!r} has a header but no data rows; upload a table with at least one row."
        )
    frame.columns = unique_column_names(frame.columns)
    return frame


def unique_column_names(names) -> list[str]:
    """Column names as distinct, non-empty strings: an empty name becomes 'column 3' (its
    1-based position), a repeated one 'name (2)', 'name (3)'...; others are kept."""
    result: list[str] = []
    taken: set[str] = set()
    for position, name in enumerate(names, start=1):
        text = str(name).strip() or f"column {position}"
        candidate, copy = text, 1
        while candidate in taken:
            copy += 1
            candidate = f"{text} ({copy})"
        taken.add(candidate)
        result.append(candidate)
    return result


class TableTooLarge(ValueError):
    """A table over ``limits.MAX_ROWS`` rows or ``limits.MAX_COLUMNS`` columns; ``shrink``
    makes it fit."""

    def __init__(self, n_rows: int, n_columns: int):
        self.n_rows, self.n_columns = n_rows, n_columns
        over = []
        if n_rows > limits.MAX_ROWS:
            over.append(f"{n_rows:,} rows (the limit is {limits.MAX_ROWS:,})")
        if n_columns > limits.MAX_COLUMNS:
            over.append(f"{n_columns:,} columns (the limit is {limits.MAX_COLUMNS:,})")
        super().__init__(
            f"the table has {' and '.join(over)}; sample it down to the limit, or upload a "
            "smaller extract."
        )


def check_size(frame: pd.DataFrame) -> None:
    """Raise ``TableTooLarge`` when ``frame`` is over the row or column limit."""
    n_rows, n_columns = frame.shape
    if n_rows > limits.MAX_ROWS or n_columns > limits.MAX_COLUMNS:
        raise TableTooLarge(n_rows, n_columns)


def shrink(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """``frame`` within the limits: ``limits.MAX_ROWS`` rows drawn at random without
    replacement (kept in their original order, index reset) and its first
    ``limits.MAX_COLUMNS`` columns."""
    frame = frame.iloc[:, : limits.MAX_COLUMNS]
    if len(frame) > limits.MAX_ROWS:
        keep = np.sort(rng.choice(len(frame), size=limits.MAX_ROWS, replace=False))
        frame = frame.iloc[keep].reset_index(drop=True)
    return frame


_IDENTIFIER_NAME = re.compile(r"(^|[_\s.-])id$|^id([_\s.-]|$)|^(index|row|rowid|row_id|key|"
                              r"unnamed: 0|record|record_id)$", re.IGNORECASE)


def looks_like_identifier(name: str, values: pd.Series) -> bool:
    """Whether a numeric column is a row identifier rather than a measurement: distinct whole
    numbers that are either named like one ("id", "customer_id", "index", ...) or a run
    without gaps (0..N-1, 1001..1000+N in any order). Clustering on a row number splits the
    table by its order in the file."""
    present = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=np.float64)
    if len(present) < 2 or len(present) < len(values) or not np.all(present == np.round(present)):
        return False
    if len(np.unique(present)) < len(present):
        return False
    consecutive = present.max() - present.min() == len(present) - 1
    return bool(consecutive or _IDENTIFIER_NAME.search(str(name).strip()))


# Usual names of a column that holds known classes (any case; spaces, dashes and dots read
# as underscores), and the most distinct values such a column may have.
_CLASS_LABEL_NAMES = frozenset({
    "label", "labels", "class", "classes", "target", "truth", "ground_truth", "y",
    "cluster", "category", "species", "digit"})
MAX_CLASS_VALUES = 50


def likely_truth_column(frame: pd.DataFrame) -> str | None:
    """The column an upload most likely holds its known classes in, to compare the
    clusterings with instead of clustering on it: the first whose name is a usual name for
    classes (``_CLASS_LABEL_NAMES``; "y" only without an "x" beside it) and that has 2 to
    ``MAX_CLASS_VALUES`` distinct values, fewer than half as many as rows; None when no column
    does."""
    keys = {name: re.sub(r"[\s.-]+", "_", str(name).strip().lower()) for name in frame.columns}
    beside_x = "x" in keys.values()  # then "y" is a coordinate, not the classes
    for name, key in keys.items():
        if key not in _CLASS_LABEL_NAMES or (key == "y" and beside_x):
            continue
        distinct = frame[name].dropna().nunique()
        if 2 <= distinct <= MAX_CLASS_VALUES and distinct * 2 < len(frame):
            return str(name)
    return None


def default_feature_columns(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The numeric columns an upload clusters on by default, and those left out because
    they look like row identifiers (``looks_like_identifier``). -> (features, identifiers)"""
    features, identifiers = [], []
    for name in numeric_columns(frame):
        (identifiers if looks_like_identifier(name, frame[name]) else features).append(name)
    return features, identifiers


def _numeric(name: str, values: pd.Series, notes: list[str]) -> np.ndarray:
    """One numeric column -> (N,) float64 with NaN; refuses infinities."""
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    n_inf = int(np.isinf(x).sum())
    if n_inf:
        raise ValueError(
            f"column {name!r} has {counted(n_inf, 'infinite value')}; replace infinities "
            "(e.g. with empty cells, which are imputed) or leave the column out."
        )
    n_missing = int(np.isnan(x).sum())
    if n_missing == len(x):
        notes.append(f"column {name!r} is entirely empty: the model ignores it.")
    elif n_missing:
        notes.append(
            f"column {name!r} has {n_missing} missing values: "
            "filled with the median by the model's preprocessing."
        )
    return x


def _categorical(name: str, values: pd.Series, notes: list[str]):
    """A text column -> one-hot (N, C) float64 and its C names, or a ValueError."""
    present = values[values.notna()]
    as_numbers = pd.to_numeric(present, errors="coerce")
    bad = present[as_numbers.isna()]
    distinct = present.astype(str).unique()
    if len(distinct) > MAX_CATEGORIES:
        if len(bad) <= len(present) / 2:
            raise ValueError(
                f"column {name!r} is mostly numbers but has "
                f"{counted(len(bad), 'non-numeric value')}, e.g. {bad.iloc[0]!r}; clean such "
                "values (empty cells are fine) or leave the column out."
            )
        raise ValueError(
            f"column {name!r} is text with {len(distinct)} distinct values (e.g. "
            f"{str(present.iloc[0])!r}), too many to one-hot encode (at most {MAX_CATEGORIES}); "
            "leave it out or map it to fewer categories."
        )
    categories = sorted(distinct)
    text = values.astype(str).where(values.notna())
    onehot = np.stack([(text == c).to_numpy(dtype=np.float64) for c in categories], axis=1)
    note = f"column {name!r} is categorical with {len(categories)} values: one-hot encoded"
    n_missing = len(values) - len(present)
    notes.append(note + (f" ({n_missing} missing values get all zeros)." if n_missing else "."))
    return onehot, [f"{name}={c}" for c in categories]


def prepare_features(frame: pd.DataFrame, columns: list[str]) -> PreparedFeatures:
    """Turn the chosen columns into X (N, D') float64; NaN is kept for the model to impute.

    Numbers pass through; numbers stored as text are converted; booleans become 0/1; dates
    become days since 1970; other columns with at most 20 distinct values are one-hot encoded
    (so D' counts one column per category).
    """
    if not columns:
        raise ValueError("no feature columns chosen; pick at least one column to cluster on.")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"columns {missing} are not in the table; pick from: {list(map(str, frame.columns))}."
        )
    if len(frame) == 0:
        raise ValueError("the table has no rows; upload a table with at least one row.")
    blocks, names, notes = [], [], []
    for name in columns:
        values = frame[name]
        if pd.api.types.is_bool_dtype(values):
            blocks.append(values.astype("float64").to_numpy(na_value=np.nan)[:, None])
            names.append(name)
            notes.append(f"column {name!r} is true/false: used as 1/0.")
        elif pd.api.types.is_datetime64_any_dtype(values):
            epoch = pd.Timestamp("1970-01-01", tz=getattr(values.dt, "tz", None))
            days = ((values - epoch) / pd.Timedelta(days=1)).astype("float64")
            notes.append(f"column {name!r} holds dates: used as days since 1970-01-01.")
            blocks.append(_numeric(name, days, notes)[:, None])
            names.append(name)
        elif pd.api.types.is_numeric_dtype(values):
            blocks.append(_numeric(name, values, notes)[:, None])
            names.append(name)
        elif pd.to_numeric(values.dropna(), errors="coerce").notna().all():
            notes.append(f"column {name!r} holds numbers stored as text: converted to numbers.")
            blocks.append(_numeric(name, values, notes)[:, None])
            names.append(name)
        else:
            onehot, onehot_names = _categorical(name, values, notes)
            blocks.append(onehot)
            names.extend(onehot_names)
    X = np.concatenate(blocks, axis=1)
    if np.isnan(X).all():
        raise ValueError("every chosen column is empty (no values at all); pick columns "
                         "that hold values.")
    if len(names) > limits.MAX_FEATURES:
        raise ValueError(
            f"the chosen columns make {len(names):,} feature columns once text columns are "
            f"one-hot encoded, over the limit of {limits.MAX_FEATURES:,}; choose fewer columns "
            "or fewer text columns.")
    return PreparedFeatures(X, notes, names)
