import io

import pandas as pd
import pytest

from pfn_core.delimited_text import (
    RaggedRows,
    decoded,
    numeric_columns,
    read_delimited_dialect,
    strict_csv_chunks,
    strict_read_csv,
)


def test__decoded__reads_utf16_with_its_mark_then_utf8_then_latin1():
    assert decoded("a\tb\n".encode("utf-16")) == ("a\tb\n", "utf-16")
    assert decoded("é,1\n".encode()) == ("é,1\n", "utf-8-sig")
    assert decoded("é,1\n".encode("latin-1")) == ("é,1\n", "latin-1")


def test__read_delimited_dialect__finds_european_csv_with_decimal_commas():
    frame, sep, decimal = read_delimited_dialect(b"x;y\n1,5;2\n3,25;4\n", ",")
    assert (sep, decimal) == (";", ",")
    assert frame["x"].tolist() == [1.5, 3.25] and numeric_columns(frame) == ["x", "y"]


@pytest.mark.parametrize("text, line", [("a,b\n1,2,3\n4,5\n", 2), ("a,b\n1,2\n4,5,6\n", 3)])
def test__strict_read_csv__refuses_a_row_longer_than_the_header_with_its_line(text, line):
    with pytest.raises(RaggedRows, match=f"line {line} of data.csv has 3 fields but the header "
                                         "names 2 columns") as error:
        try:
            strict_read_csv(io.StringIO(text), ",")
        except RaggedRows as ragged:
            raise ragged.in_file("data.csv") from None
    assert (error.value.line, error.value.n_fields, error.value.n_columns) == (line, 3, 2)


def test__strict_read_csv__reads_short_rows_and_quoted_separators_as_pandas_does():
    text = 'a,b,c\n1,"x,y",3\n4,5\n'
    pd.testing.assert_frame_equal(strict_read_csv(io.StringIO(text), ","),
                                  pd.read_csv(io.StringIO(text)))


def test__strict_csv_chunks__streams_in_order_and_refuses_a_late_long_row(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("a,b\n" + "".join(f"{i},{i}\n" for i in range(25)))
    chunks = list(strict_csv_chunks(good, ",", 10))
    assert [len(c) for c in chunks] == [10, 10, 5]
    assert pd.concat(chunks)["a"].tolist() == list(range(25))
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n" + "".join(f"{i},{i}\n" for i in range(20)) + "1,2,3\n")
    with pytest.raises(RaggedRows, match="line 22"):
        list(strict_csv_chunks(bad, ",", 10))
