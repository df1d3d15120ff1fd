"""Anchors: the rows the analyst has named, as ``dict[int, str]`` (row id -> label name).

Every function is pure: it returns a new dict and never changes the one it was given.
Row ids are positions 0..N-1 in the uploaded table (not the DataFrame index).
"""

from __future__ import annotations

import csv
import io
import math
import unicodedata
from collections.abc import Iterable, Mapping

import numpy as np

from pfn_core import limits

UNLABELLED = -1  # the estimator's marker for rows without an anchor


def _row_id(value) -> int | None:
    """A plotly customdata item -> int row id, or None when it is not a whole number.

    Streamlit may hand numeric customdata back as a dict keyed by position ({"0": id, ...})."""
    if isinstance(value, dict):
        value = value.get("0", value.get(0))
    if isinstance(value, (list, tuple, np.ndarray)):
        if len(value) == 0:
            return None
        value = value[0]
    if value is None or isinstance(value, (bool, np.bool_)):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or number != int(number) or number < 0:
        return None
    return int(number)


def row_ids_from_selection(selection) -> list[int]:
    """Row ids of the points in a Streamlit plotly selection (``event["selection"]``).

    Reads the row id from each point's ``customdata`` (a list whose first item is the row id,
    or the id itself), never from ``point_index``, which counts within one trace only.
    Duplicates are dropped, first-seen order is kept; a missing or empty selection gives [].
    """
    if not selection or not hasattr(selection, "get"):
        return []
    seen: dict[int, None] = {}
    for point in selection.get("points") or []:
        if not hasattr(point, "get"):
            continue
        row_id = _row_id(point.get("customdata"))
        if row_id is not None:
            seen.setdefault(row_id, None)
    return list(seen)


def label_name(label) -> str:
    """``label`` trimmed and in Unicode's composed form (NFC: "é" typed in a browser and "é"
    written as e + accent in a file from a Mac are one label), or a ValueError when it is
    empty, longer than ``limits.MAX_LABEL_LENGTH`` or holds control characters (tabs, line
    breaks, NUL)."""
    name = unicodedata.normalize("NFC", str(label)).strip() if label is not None else ""
    if not name:
        raise ValueError("give the label a name: type one before assigning the selected points.")
    if len(name) > limits.MAX_LABEL_LENGTH:
        raise ValueError(f"the label {name[:30]!r}… has {len(name)} characters; "
                         f"keep labels to {limits.MAX_LABEL_LENGTH} or fewer.")
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise ValueError(f"the label {name[:30]!r} holds control characters (tabs, line "
                         "breaks); type it on one line without them.")
    return name


def assign_label(anchors: Mapping[int, str], row_ids: Iterable[int], label: str) -> dict[int, str]:
    """A copy of ``anchors`` with every row in ``row_ids`` named ``label`` (whitespace trimmed,
    checked by ``label_name``)."""
    name = label_name(label)
    updated = dict(anchors)
    updated.update({int(r): name for r in row_ids})
    return updated


def assign_labels(anchors: Mapping[int, str], named: Mapping[int, str]) -> dict[int, str]:
    """A copy of ``anchors`` with each row of ``named`` ({row id: label}, e.g. typed next to
    the suggested rows) given its own label; blank labels are skipped, and any other bad
    label raises ``ValueError`` (``label_name``) before anything changes."""
    names = {int(r): label_name(label) for r, label in named.items()
             if label is not None and str(label).strip()}
    updated = dict(anchors)
    updated.update(names)
    return updated


def remove_anchors(anchors: Mapping[int, str], row_ids: Iterable[int]) -> dict[int, str]:
    """A copy of ``anchors`` without the given rows (rows that were not anchors are ignored)."""
    dropped = {int(r) for r in row_ids}
    return {r: label for r, label in anchors.items() if r not in dropped}


def likely_label(anchors: Mapping[int, str], labels, row_ids: Iterable[int]) -> str | None:
    """The user's label that more than half of the rows `row_ids` are clustered in (labels
    (N,), the model's clusters), the one a selection most likely extends; None when no label
    of ``anchors`` holds that many (new clusters such as "new 1" are not the user's)."""
    rows = np.fromiter((int(r) for r in row_ids), dtype=np.int64)
    if not len(rows) or not anchors:
        return None
    names, counts = np.unique(np.asarray(labels, dtype=object)[rows].astype(str),
                              return_counts=True)
    best = int(np.argmax(counts))
    name = str(names[best])
    return name if counts[best] * 2 > len(rows) and name in set(anchors.values()) else None


def clear_anchors() -> dict[int, str]:
    """No anchors at all."""
    return {}


def anchors_to_targets(anchors: Mapping[int, str], n_rows: int) -> np.ndarray:
    """The ``y`` for ``PFNClusterer.fit_predict``: (n_rows,) object, label or -1 (unlabelled)."""
    outside = sorted(r for r in anchors if not 0 <= r < n_rows)
    if outside:
        raise ValueError(
            f"anchors refer to rows {outside[:5]} but the table has rows 0..{n_rows - 1}; "
            "they probably belong to another dataset: clear them or load the matching table."
        )
    y = np.full(n_rows, UNLABELLED, dtype=object)
    for row_id, label in anchors.items():
        y[row_id] = label
    return y


def anchors_to_csv(anchors: Mapping[int, str]) -> str:
    """CSV text with header ``row_id,label``, one anchor per line, sorted by row id."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["row_id", "label"])
    writer.writerows(sorted(anchors.items()))
    return buffer.getvalue()


def anchors_from_csv(text: str, n_rows: int) -> dict[int, str]:
    """Parse ``anchors_to_csv`` output, checking ids are whole numbers in 0..n_rows-1 and labels
    pass ``label_name``; ``anchors_from_csv(anchors_to_csv(a), n) == a`` for valid anchors.

    Raises ValueError naming the offending lines (line 1 is the header) and what to fix; it
    returns nothing partial, so a bad file changes nothing.
    """
    try:
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    except csv.Error as error:  # e.g. a NUL byte: not a text CSV
        raise ValueError(f"the anchors file is not a readable CSV ({error}); export anchors "
                         "from the studio to see the expected format.") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows or [cell.strip().lower() for cell in rows[0]] != ["row_id", "label"]:
        found = ",".join(rows[0])[:60] if rows else "nothing"
        raise ValueError(
            f"the anchors file must start with the header 'row_id,label' (found {found!r}); "
            "export anchors from the studio to see the expected format."
        )
    if len(rows) - 1 > limits.MAX_ANCHOR_FILE_ROWS:
        raise ValueError(f"the anchors file has {len(rows) - 1:,} lines, more than the "
                         f"{limits.MAX_ANCHOR_FILE_ROWS:,} allowed; is it the right file?")
    anchors: dict[int, str] = {}
    problems: list[str] = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) > 2:
            problems.append(f"line {line}: {len(row)} cells where 2 are expected "
                            "(quote labels that contain commas)")
            continue
        raw_id, label = (row + ["", ""])[:2]
        row_id = _row_id(raw_id.strip())
        if row_id is None or row_id >= n_rows:
            problems.append(
                f"line {line}: row id {raw_id[:20]!r} is not a whole number in 0..{n_rows - 1}"
            )
            continue
        if not label.strip():
            problems.append(f"line {line}: row {row_id} has an empty label")
            continue
        try:
            label = label_name(label)
        except ValueError as error:
            problems.append(f"line {line}: row {row_id}: {error}")
            continue
        if anchors.get(row_id, label) != label:
            problems.append(f"line {line}: row {row_id} is given two labels")
        else:
            anchors[row_id] = label
    if problems:
        shown = "; ".join(problems[:5]) + (
            f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        )
        raise ValueError(
            f"{len(problems)} bad anchor rows ({shown}); fix or delete those lines "
            "(is the file for this table?) and load it again."
        )
    return anchors
