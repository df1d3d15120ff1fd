"""A table's column names: recorded when a clusterer is fitted on a DataFrame, and used to
take the same columns, in the same order, from the tables it scores later
(``PFNClusterer.predict_proba``). Arrays carry no names and are taken as they are.

Legend: R=rows, D=columns.
"""

from __future__ import annotations

import numpy as np


def column_names(X) -> np.ndarray | None:
    """Column names of a DataFrame (as strings), None for arrays. -> (D,) objects"""
    columns = getattr(X, "columns", None)
    return None if columns is None else np.asarray([str(c) for c in columns], dtype=object)


def in_fitted_order(X, fitted_names):
    """The columns `fitted_names` (D,) of DataFrame X, in that order (extra columns are left
    out); X itself when it is an array or the clusterer was fitted on one. ValueError, naming
    them, when columns are missing."""
    if fitted_names is None or not hasattr(X, "columns"):
        return X
    by_name = {str(c): c for c in X.columns}
    missing = [name for name in fitted_names if name not in by_name]
    if missing:
        raise ValueError(f"X lacks the fitted columns {', '.join(map(repr, missing))}; "
                         "pass a table with the columns the clusterer was fitted on.")
    return X[[by_name[name] for name in fitted_names]]
