"""Delimited text from users' files, read the same way by the studio, ``cluster`` and the
streaming ``predict``: the encoding (UTF-16 with its byte-order mark, UTF-8, else Latin-1),
European CSV (semicolons, decimal commas), and rows with more fields than the header names
columns refused (``RaggedRows``) instead of read shifted into the wrong columns.

Legend: N=rows, D=columns.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd

from pfn_core.preprocessing import counted


def read_delimited(data: bytes, sep: str) -> pd.DataFrame:
    """A CSV or TSV file's bytes (UTF-8, else Latin-1) -> DataFrame, in the dialect
    ``read_delimited_dialect`` finds."""
    return read_delimited_dialect(data, sep)[0]


def decoded(data: bytes) -> tuple[str, str]:
    """A delimited file's bytes (or its first lines) as text -> (text, encoding): UTF-16 when
    they start with its byte-order mark (Excel's "Unicode Text" export), else UTF-8 when they
    decode as UTF-8, else Latin-1 (never fails; good enough for legacy exports)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"  # errors: a cut-off head
    try:
        return data.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def unreadable_text(source, error: Exception) -> ValueError:
    """The error for a file `source` that is not delimited text (`error`: why), as the
    command line says it."""
    return ValueError(f"could not read {source} as delimited text ({error}); export it as "
                      "CSV (UTF-8 or UTF-16).")


def read_delimited_dialect(data: bytes, sep: str) -> tuple[pd.DataFrame, str, str]:
    """A CSV or TSV file's bytes (or its first lines) -> (DataFrame, separator, decimal
    mark). With `sep` ",", a file whose header holds semicolons instead is read with ";"
    (European CSV), and with semicolons or tabs, decimal commas ("1,5") are read as numbers
    where they make more numeric columns. ValueError for bytes that are not text,
    ``RaggedRows`` for a row with more fields than the header names columns."""
    text, _ = decoded(data)
    if "\x00" in text:
        raise ValueError("it holds binary data, not delimited text")
    header = pd.read_csv(io.StringIO(text), sep=sep, nrows=0).columns
    if sep == "," and len(header) == 1 and ";" in str(header[0]):
        sep = ";"  # European CSV: semicolons between fields,
    frame = strict_read_csv(io.StringIO(text), sep)
    if sep != ",":  # ... and often commas as decimal marks ("1,5"), read as text otherwise
        comma = strict_read_csv(io.StringIO(text), sep, decimal=",")
        if len(numeric_columns(comma)) > len(numeric_columns(frame)):
            return comma, sep, ","
    return frame, sep, "."


_TOO_MANY_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


class RaggedRows(ValueError):
    """A delimited table with a row of more fields than its header names columns. pandas
    would read it shifted (a longer first row makes its first column the index) or stop
    with a parser error; ``in_file`` names the file in the message."""

    def __init__(self, line: int, n_fields: int, n_columns: int, source: str = "the table"):
        self.line, self.n_fields, self.n_columns = line, n_fields, n_columns
        super().__init__(
            f"line {line} of {source} has {counted(n_fields, 'field')} but the header names "
            f"{counted(n_columns, 'column')}, so its values would land in the wrong columns; "
            "fix that line (quote any value that holds the separator) or add the missing column "
            "names to the header."
        )

    def in_file(self, source) -> RaggedRows:
        """The same error, naming `source` (a file name or path)."""
        return RaggedRows(self.line, self.n_fields, self.n_columns, str(source))


@contextmanager
def _refusing_ragged_rows():
    """pandas' parser error for a row with too many fields ("Expected 2 fields in line 3,
    saw 3") raised inside becomes ``RaggedRows``; other errors pass unchanged."""
    try:
        yield
    except pd.errors.ParserError as error:
        found = _TOO_MANY_FIELDS.search(str(error))
        if found is None:
            raise
        n_columns, line, n_fields = map(int, found.groups())
        raise RaggedRows(line, n_fields, n_columns) from None


def _check_first_row(source, sep: str, **options) -> None:
    """``RaggedRows`` when the first data row of `source` has more fields than its header.
    pandas reads such a row without a word, taking its first field as the row's index, so
    the header and that row are tokenised as two rows of data (``header=None``): pandas then
    reports the longer one like any other. A buffer is left where it was."""
    position = source.tell() if hasattr(source, "seek") else None
    try:
        with _refusing_ragged_rows():
            pd.read_csv(source, sep=sep, header=None, nrows=2, dtype=str, **options)
    finally:
        if position is not None:
            source.seek(position)


def strict_read_csv(source, sep: str, **options) -> pd.DataFrame:
    """``pd.read_csv(source, sep=sep, **options)`` for a user's file, refusing a row with more
    fields than the header names columns (``RaggedRows``) instead of reading it shifted.
    `source`: a path, or a buffer it can seek back in."""
    _check_first_row(source, sep, **options)
    with _refusing_ragged_rows():
        return pd.read_csv(source, sep=sep, index_col=False, **options)


def strict_csv_chunks(path, sep: str, chunk_rows: int, **options) -> Iterator[pd.DataFrame]:
    """``strict_read_csv`` streamed: the file at `path` as DataFrames of at most `chunk_rows`
    rows, in row order; ``RaggedRows`` when the chunk that holds a too-long row is read."""
    _check_first_row(path, sep, **options)
    with _refusing_ragged_rows(), pd.read_csv(path, sep=sep, index_col=False,
                                              chunksize=chunk_rows, **options) as reader:
        yield from reader


def numeric_columns(frame: pd.DataFrame) -> list[str]:
    """Names of the columns holding numbers (booleans excluded)."""
    return [
        str(name)
        for name, column in frame.items()
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    ]
