"""Scoring a table of any length with a fitted clusterer, in one process or on Dask.

``python -m pfn_core predict`` (``cli.predict_command``) lands here. The input (a CSV file,
a Parquet file or a folder of Parquet files) is read as a stream of chunks of at most
``chunk_rows`` rows, so memory stays flat whatever the table's length; each chunk is scored
by ``score_chunk`` and appended, in the input's row order, to the output (Parquet, or CSV
by the output's suffix) with two added columns, ``predicted_cluster`` and ``confidence``.

With Dask (``dask.distributed``) the chunks are scored on the workers: the fitted file's
bytes are sent to every worker once and the model is rebuilt once per worker process
(``_worker_clusterer``), at most ``2 x workers`` chunks are in flight, and the results are
written in order as they come back. The chunks are the same in both modes, and a row's
result never depends on the other rows of its chunk. Arithmetic does depend on how many
threads share one matrix product (the last bits of a float), so both modes score each chunk
on one thread: a Dask worker runs torch and BLAS on one thread each, and one process scores
as many chunks at once as it has cores, each chunk on one thread (``_score_in_threads``).
So the output is identical, to the last bit.

Legend: C=rows in a chunk, D=feature columns, K=classes.
"""

from __future__ import annotations

import hashlib
import itertools
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pfn_core.delimited_text import (
    RaggedRows,
    decoded,
    read_delimited_dialect,
    strict_csv_chunks,
    unreadable_text,
)

OUTPUT_COLUMNS = ("predicted_cluster", "confidence")  # what scoring adds to a table
DEFAULT_CHUNK_ROWS = 100_000


def input_chunks(path, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """Stream a CSV file, a Parquet file or a folder of Parquet files (in name order) as
    DataFrames of at most `chunk_rows` rows, in row order."""
    path = Path(path)
    if chunk_rows < 1:
        raise ValueError(f"--chunk-rows must be at least 1, got {chunk_rows}.")
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix == ".parquet")
        if not files:
            raise ValueError(f"folder {path} has no .parquet files.")
    elif path.is_file():
        files = [path]
    else:
        raise ValueError(f"input {path} not found.")
    for file in files:
        if file.suffix == ".parquet":
            try:
                reader = pq.ParquetFile(file)
            except (pa.ArrowInvalid, OSError) as error:
                raise ValueError(f"{file} is not a readable Parquet file ({error}).") from None
            for batch in reader.iter_batches(batch_size=chunk_rows):
                yield batch.to_pandas()
        else:
            sep = "\t" if file.suffix in (".tsv", ".tab") else ","
            try:
                sep, decimal, encoding = _csv_dialect(file, sep)
                yield from strict_csv_chunks(file, sep, chunk_rows, decimal=decimal,
                                             encoding=encoding)
            except pd.errors.EmptyDataError:
                raise ValueError(f"{file} is empty: it needs a header row and at least one "
                                 "row of values.") from None
            except RaggedRows as error:  # its own advice, not "export it as CSV"
                raise error.in_file(file) from None
            except (ValueError, UnicodeDecodeError) as error:  # not text, or not a table
                raise unreadable_text(file, error) from None


def _csv_dialect(file: Path, sep: str, sample_lines: int = 1000) -> tuple[str, str, str]:
    """The separator, decimal mark and text encoding to stream `file` with, as the studio
    reads an upload (``delimited_text.read_delimited_dialect``), judged on its first
    `sample_lines` lines -> (sep, decimal, encoding)"""
    with open(file, "rb") as stream:
        head = b"".join(itertools.islice(stream, sample_lines + 1))  # header + lines
    _, sep, decimal = read_delimited_dialect(head, sep)
    return sep, decimal, decoded(head)[1]


def count_rows(path) -> int | None:
    """Rows in a Parquet file or folder (from the footers), None for CSV or a file whose
    footer cannot be read (unknown)."""
    path = Path(path)
    files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
    if any(f.suffix != ".parquet" for f in files):
        return None
    try:
        return sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    except (pa.ArrowInvalid, OSError):
        return None  # unreadable: ``input_chunks`` says which file and why


def score_chunk(clusterer, chunk: pd.DataFrame, features: list[str] | None,
                method: str = "model") -> pd.DataFrame:
    """`chunk` (C rows) plus ``predicted_cluster`` and ``confidence`` (rounded to 6 places);
    `method`: ``PFNClusterer.predict_proba``'s ("model" or "carry"). Classes of mixed types
    (numbered anchors beside discovery's "new 1") are written as text."""
    columns = features or _fitted_feature_names(clusterer, chunk)
    missing = [c for c in columns if c not in chunk.columns]
    if missing:
        raise ValueError(f"the input lacks the feature columns {', '.join(map(repr, missing))}; "
                         f"its columns are {', '.join(map(str, chunk.columns))}.")
    values = chunk[columns]  # named, so that a bad value's message names its column
    if features and clusterer.feature_names_in_ is not None:
        values = values.to_numpy()  # --features maps the input's columns onto the fitted ones
    proba = clusterer.predict_proba(values, method=method)
    out = chunk.copy()
    predicted = clusterer.classes_[proba.argmax(1)]
    if predicted.dtype == object:  # e.g. 0, 1 and "new 1" from discovery: Parquet wants one type
        predicted = predicted.astype(str)
    out["predicted_cluster"] = predicted
    out["confidence"] = np.round(proba.max(1), 6)
    return out


def _fitted_feature_names(clusterer, chunk: pd.DataFrame) -> list[str]:
    names = clusterer.feature_names_in_
    if names is not None:
        return [str(n) for n in names]
    numeric = [c for c in chunk.columns if pd.api.types.is_numeric_dtype(chunk[c])
               and c not in OUTPUT_COLUMNS]
    if len(numeric) != clusterer.n_features_in_:
        raise ValueError(f"the clusterer was fitted on {clusterer.n_features_in_} unnamed "
                         f"columns and the input has {len(numeric)} numeric ones: name them "
                         "with --features a,b,c.")
    return numeric


OUTPUT_SUFFIXES = (".parquet", ".csv", ".tsv")


class OutputWriter:
    """Append scored chunks to a Parquet file (one row group per chunk) or, when the path
    ends in .csv/.tsv, to a CSV file; written to a temporary name and moved into place on
    ``close``, so a failed run leaves no half-written output."""

    def __init__(self, path):
        self.path = Path(path)
        if self.path.suffix not in OUTPUT_SUFFIXES:
            raise ValueError(f"output {self.path} must end in .parquet, .csv or .tsv (the "
                             "suffix picks the format).")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.partial = self.path.with_name(self.path.name + ".partial")
        self.is_csv = self.path.suffix in (".csv", ".tsv")
        self._parquet: pq.ParquetWriter | None = None
        self._started = False

    def write(self, frame: pd.DataFrame) -> None:
        if self.is_csv:
            frame.to_csv(self.partial, mode="a" if self._started else "w", index=False,
                         header=not self._started, sep="\t" if self.path.suffix == ".tsv" else ",")
        else:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self.partial, table.schema)
            self._parquet.write_table(table.cast(self._parquet.schema))
        self._started = True

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self._started:
            self.partial.replace(self.path)

    def abort(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        self.partial.unlink(missing_ok=True)


def score_table(model_path, input_path, output_path, features: list[str] | None = None,
                chunk_rows: int = DEFAULT_CHUNK_ROWS, client=None,
                progress: Callable[[int], None] | None = None, method: str = "model") -> int:
    """Score every row of `input_path` into `output_path`; on `client` (a
    ``dask.distributed.Client``) when given, else in this process. `progress(rows)` is
    called after each chunk is written. -> rows written"""
    from pfn_core.estimator import PFNClusterer

    model_bytes = Path(model_path).read_bytes() if client is not None else None
    clusterer = PFNClusterer.load(model_path) if client is None else None
    writer = OutputWriter(output_path)
    written = 0
    try:
        if client is None:
            results = _score_in_threads(clusterer, input_chunks(input_path, chunk_rows),
                                        features, method)
        else:
            results = _score_on_dask(client, model_bytes, input_chunks(input_path, chunk_rows),
                                     features, method)
        for frame in results:
            writer.write(frame)
            written += len(frame)
            if progress is not None:
                progress(len(frame))
    except BaseException:
        writer.abort()
        raise
    writer.close()
    return written


def _score_in_threads(clusterer, chunks: Iterator[pd.DataFrame], features: list[str] | None,
                      method: str) -> Iterator[pd.DataFrame]:
    """Scored chunks, in input order, computed by one thread per core, each chunk with one
    torch thread and one BLAS thread (the arithmetic of a Dask worker); at most
    ``2 x threads`` chunks are in flight. Torch's thread count is restored afterwards."""
    import torch
    from threadpoolctl import threadpool_limits

    from pfn_core.path_search import available_cores

    workers = available_cores()
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1), ThreadPoolExecutor(workers) as pool:
            yield from _in_order(
                lambda chunk: pool.submit(score_chunk, clusterer, chunk, features, method),
                chunks, 2 * workers)
    finally:
        torch.set_num_threads(previous)


def _score_on_dask(client, model_bytes: bytes, chunks: Iterator[pd.DataFrame],
                   features: list[str] | None, method: str) -> Iterator[pd.DataFrame]:
    """Scored chunks, in input order, computed on the workers of `client`."""
    model = client.scatter(model_bytes, broadcast=True)
    digest = hashlib.sha256(model_bytes).hexdigest()
    window = 2 * max(len(client.scheduler_info().get("workers", {})), 1)
    yield from _in_order(
        lambda chunk: client.submit(_score_on_worker, model, digest, chunk, features, method,
                                    pure=False),
        chunks, window)


def _in_order(submit: Callable, chunks: Iterator[pd.DataFrame],
              window: int) -> Iterator[pd.DataFrame]:
    """The result of `submit(chunk)` (a future: thread pool or Dask) for each chunk, in input
    order, with at most `window` futures in flight."""
    in_flight: deque = deque()
    for chunk in chunks:
        in_flight.append(submit(chunk))
        if len(in_flight) >= window:
            yield in_flight.popleft().result()
    while in_flight:
        yield in_flight.popleft().result()


def _score_on_worker(model_bytes: bytes, digest: str, chunk: pd.DataFrame,
                     features: list[str] | None, method: str) -> pd.DataFrame:
    return score_chunk(_worker_clusterer(digest, model_bytes), chunk, features, method)


_worker_cache: dict = {}


def _worker_clusterer(digest: str, model_bytes: bytes):
    """The fitted clusterer, rebuilt once per worker process (keyed by the file's digest;
    the last two are kept)."""
    from pfn_core.estimator import PFNClusterer

    if digest not in _worker_cache:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"{digest[:16]}.safetensors"
            path.write_bytes(model_bytes)
            _worker_cache[digest] = PFNClusterer.load(path)
        while len(_worker_cache) > 2:
            _worker_cache.pop(next(iter(_worker_cache)))
    return _worker_cache[digest]
