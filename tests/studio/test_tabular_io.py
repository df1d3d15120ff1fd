import io

import numpy as np
import pandas as pd
import pytest

from pfn_core.studio.tabular_io import (
    default_feature_columns,
    likely_truth_column,
    looks_like_identifier,
    numeric_columns,
    prepare_features,
    read_table,
)


@pytest.fixture
def table():
    return pd.DataFrame({"age": [31, 42, 27], "city": ["Paris", "Rome", "Paris"]})


def test__read_table__csv_and_tsv(table):
    csv_bytes = table.to_csv(index=False).encode()
    pd.testing.assert_frame_equal(read_table("people.CSV", csv_bytes), table, check_dtype=False)
    tsv_bytes = table.to_csv(index=False, sep="\t").encode()
    for name in ["people.tsv", "people.tab"]:
        pd.testing.assert_frame_equal(read_table(name, tsv_bytes), table, check_dtype=False)


def test__read_table__semicolon_csv_and_latin1_text():
    data = "name;score\nJosé;1\nZoë;2\n".encode("latin-1")
    frame = read_table("scores.csv", data)
    assert frame.columns.tolist() == ["name", "score"]
    assert frame["name"].tolist() == ["José", "Zoë"]


def test__read_table__utf16_text_as_excel_exports_it_and_refuses_binary_data():
    """Excel's "Unicode Text" export: UTF-16 with a byte-order mark, tab-separated."""
    frame = read_table("export.tsv", "age\tcity\n31\tZürich\n42\tRome\n".encode("utf-16"))
    assert frame.to_dict("list") == {"age": [31, 42], "city": ["Zürich", "Rome"]}
    with pytest.raises(ValueError, match="'data.csv' .*binary data, not delimited text"):
        read_table("data.csv", b"\x00\x01\x02\x03 not a table \x00")


def test__read_table__parquet_round_trip(table):
    buffer = io.BytesIO()
    table.to_parquet(buffer)
    pd.testing.assert_frame_equal(
        read_table("p.parquet", buffer.getvalue()), table, check_dtype=False
    )


def test__read_table__excel_round_trip_with_string_column_names():
    frame = pd.DataFrame({0: [1.5, 2.5], "b": ["x", "y"]})
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    back = read_table("sheet.xlsx", buffer.getvalue())
    assert back.columns.tolist() == ["0", "b"]
    assert back["0"].tolist() == [1.5, 2.5]


def test__read_table__refuses_an_unknown_extension():
    with pytest.raises(ValueError, match=r"unsupported extension '\.json'.*\.csv"):
        read_table("data.json", b"{}")


@pytest.mark.parametrize("data", [b"", b"  \n"])
def test__read_table__refuses_an_empty_file(data):
    with pytest.raises(ValueError, match="'x.csv' is empty; upload a file with a header"):
        read_table("x.csv", data)


def test__read_table__refuses_a_header_without_rows():
    with pytest.raises(ValueError, match="has a header but no data rows"):
        read_table("x.csv", b"a,b\n")


@pytest.mark.parametrize(
    ("name", "hint"),
    [("x.xlsx", "export it as CSV"), ("x.parquet", "export it as CSV"), ("x.xls", "as .xlsx")],
)
def test__read_table__reports_unparseable_content_with_advice(name, hint):
    with pytest.raises(ValueError, match=f"could not read '{name}'.*{hint}"):
        read_table(name, b"this is not a spreadsheet")


def test__numeric_columns__lists_numbers_but_not_text_or_booleans():
    frame = pd.DataFrame({"a": [1, 2], "b": [1.5, np.nan], "c": ["x", "y"], "d": [True, False]})
    assert numeric_columns(frame) == ["a", "b"]


def test__prepare_features__keeps_nan_and_notes_missing_values():
    frame = pd.DataFrame({"age": [1.0, np.nan, 3.0], "height": [1, 2, 3]})
    prepared = prepare_features(frame, ["age", "height"])
    assert prepared.X.dtype == np.float64 and prepared.X.shape == (3, 2)
    assert np.isnan(prepared.X[1, 0])
    assert prepared.feature_names == ["age", "height"]
    assert prepared.notes == [
        "column 'age' has 1 missing values: filled with the median by the model's preprocessing."
    ]


def test__prepare_features__one_hot_encodes_a_small_categorical_column(table):
    prepared = prepare_features(table, ["city", "age"])
    assert prepared.feature_names == ["city=Paris", "city=Rome", "age"]
    np.testing.assert_array_equal(prepared.X[:, :2], [[1, 0], [0, 1], [1, 0]])
    assert prepared.notes == ["column 'city' is categorical with 2 values: one-hot encoded."]


def test__prepare_features__converts_booleans_dates_and_numbers_stored_as_text():
    frame = pd.DataFrame(
        {
            "flag": [True, False],
            "day": pd.to_datetime(["1970-01-02", None]),
            "text": ["1.5", "2"],
        }
    )
    prepared = prepare_features(frame, ["flag", "day", "text"])
    np.testing.assert_array_equal(prepared.X[:, 0], [1.0, 0.0])
    assert prepared.X[0, 1] == 1.0 and np.isnan(prepared.X[1, 1])
    np.testing.assert_array_equal(prepared.X[:, 2], [1.5, 2.0])
    assert any("true/false" in note for note in prepared.notes)
    assert any("dates" in note for note in prepared.notes)
    assert any("stored as text" in note for note in prepared.notes)


def test__prepare_features__refuses_text_with_too_many_values():
    frame = pd.DataFrame({"name": [f"person {i}" for i in range(30)]})
    with pytest.raises(
        ValueError, match=r"'name' is text with 30 distinct values \(e.g. 'person 0'\)"
    ):
        prepare_features(frame, ["name"])


def test__prepare_features__points_at_stray_text_in_a_numeric_column():
    values = [str(i) for i in range(30)] + ["unknown"]
    with pytest.raises(
        ValueError, match="'age' is mostly numbers but has 1 non-numeric value, e.g. 'unknown'"
    ):
        prepare_features(pd.DataFrame({"age": values}), ["age"])


def test__prepare_features__refuses_infinities_naming_the_column():
    frame = pd.DataFrame({"ok": [1.0, 2.0], "bad": [1.0, np.inf]})
    with pytest.raises(ValueError, match="column 'bad' has 1 infinite value;"):
        prepare_features(frame, ["ok", "bad"])


def test__prepare_features__refuses_no_columns_and_unknown_columns(table):
    with pytest.raises(ValueError, match="no feature columns chosen"):
        prepare_features(table, [])
    with pytest.raises(ValueError, match=r"columns \['weight'\] are not in the table"):
        prepare_features(table, ["age", "weight"])


def test__prepare_features__refuses_more_feature_columns_than_the_limit(monkeypatch):
    from pfn_core import limits

    monkeypatch.setattr(limits, "MAX_FEATURES", 3)
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "kind": ["a", "b", "c", "a"]})
    assert prepare_features(frame, ["kind"]).X.shape == (4, 3)
    with pytest.raises(ValueError, match="4 feature columns .* limit of 3; choose fewer"):
        prepare_features(frame, ["x", "kind"])


def test__read_table__semicolon_csv_with_decimal_commas_reads_numbers():
    data = "name;height;weight\na;1,5;60,25\nb;1,75;72,5\n".encode()
    frame = read_table("eu.csv", data)
    assert numeric_columns(frame) == ["height", "weight"]
    assert frame["height"].tolist() == [1.5, 1.75]
    plain = read_table("plain.csv", b"a;b\n1;2\n3;4\n")  # whole numbers stay as they were
    assert plain["a"].tolist() == [1, 3]


@pytest.mark.parametrize(("name", "values", "expected"), [
    ("id", [7, 3, 11, 5], True),                # distinct whole numbers named as an id
    ("customer_id", [70, 30, 110], True),
    ("x", [3, 1, 0, 2], True),                  # a run without gaps, in any order: a row number
    ("x", [3, 1, 9, 2], False),                 # distinct, but neither named nor a run
    ("paid", [10, 25, 40], False),              # ends in "id" without being one
    ("id", [1, 1, 2], False),                   # repeats: a code, not an identifier
    ("id", [1.5, 2.5, 3.5], False),             # not whole numbers
    ("id", [1, None, 3], False),                # gaps in the column
])
def test__looks_like_identifier(name, values, expected):
    assert looks_like_identifier(name, pd.Series(values, dtype="float64")) is expected


def test__default_feature_columns__leave_out_row_identifiers():
    frame = pd.DataFrame({"row": np.arange(5), "height": [1.0, 2.0, 1.5, 3.0, 2.5],
                          "count": [3, 3, 4, 1, 2], "city": list("abcab")})
    assert default_feature_columns(frame) == (["height", "count"], ["row"])


def test__prepare_features__refuses_columns_without_a_single_value():
    frame = pd.DataFrame({"a": [np.nan] * 4, "b": [None] * 4}, dtype="float64")
    with pytest.raises(ValueError, match="every chosen column is empty"):
        prepare_features(frame, ["a", "b"])


@pytest.mark.parametrize(("name", "data", "line", "counts"), [
    ("shifted.csv", b"a,b\n1,2,3\n4,5\n", 2, "3 fields .* names 2 columns"),  # pandas: 1 = index
    ("late.csv", b"a,b\n1,2\n3,4\n5,6,7\n", 4, "3 fields .* names 2 columns"),
    ("single.csv", b"a\n1,2\n", 2, "2 fields .* names 1 column,"),
    ("eu.csv", b"a;b\n1,5;2\n3;4;5\n", 3, "3 fields .* names 2 columns"),  # decimal commas
    ("export.tsv", "a\tb\n1\t2\t3\n".encode("utf-16"), 2, "3 fields .* names 2 columns"),
])
def test__read_table__refuses_a_row_with_more_fields_than_the_header(name, data, line, counts):
    with pytest.raises(ValueError, match=f"line {line} of '{name}' has {counts}.*add the "
                                         "missing column names"):
        read_table(name, data)


def test__read_table__keeps_short_rows_and_separators_inside_quotes():
    frame = read_table("ok.csv", b'a,b\n"1,5",2\n3\n')
    assert frame.columns.tolist() == ["a", "b"]
    assert frame["a"].tolist() == ["1,5", "3"]
    assert frame["b"].tolist()[0] == 2 and np.isnan(frame["b"].tolist()[1])


def test__likely_truth_column__a_usual_name_for_classes_with_few_values():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=40), "Digit": rng.integers(0, 10, 40)})
    assert likely_truth_column(frame) == "Digit"
    frame["ground truth"] = rng.choice(["a", "b"], 40)  # the first such column wins
    assert likely_truth_column(frame) == "Digit"
    assert likely_truth_column(frame.drop(columns="Digit")) == "ground truth"


@pytest.mark.parametrize("column", [
    np.arange(40) % 39,  # nearly one value per row: a measurement, not classes
    np.zeros(40),  # one value: nothing to compare with
])
def test__likely_truth_column__not_for_too_many_or_too_few_values(column):
    frame = pd.DataFrame({"x": np.arange(40.0), "label": column})
    assert likely_truth_column(frame) is None
    assert likely_truth_column(pd.DataFrame({"x": np.arange(40.0), "score": column % 3})) is None


def test__likely_truth_column__y_beside_x_is_a_coordinate():
    grid = pd.DataFrame({"x": np.tile(np.arange(10), 10), "y": np.repeat(np.arange(10), 10)})
    assert likely_truth_column(grid) is None
    assert likely_truth_column(grid.rename(columns={"x": "width"})) == "y"
