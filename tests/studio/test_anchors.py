import numpy as np
import pytest

from pfn_core.studio.anchors import (
    anchors_from_csv,
    anchors_to_csv,
    anchors_to_targets,
    assign_label,
    clear_anchors,
    remove_anchors,
    row_ids_from_selection,
)


def test__row_ids_from_selection__reads_customdata_from_two_traces_not_point_index():
    selection = {
        "points": [
            {"curve_number": 0, "point_index": 0, "customdata": [12, "setosa"]},
            {"curve_number": 0, "point_index": 1, "customdata": [3]},
            {"curve_number": 1, "point_index": 0, "customdata": [40, "virginica"]},
            {"curve_number": 1, "point_index": 1, "customdata": 7},
        ]
    }
    assert row_ids_from_selection(selection) == [12, 3, 40, 7]


def test__row_ids_from_selection__dedups_and_keeps_first_seen_order():
    points = [{"customdata": [5]}, {"customdata": [2]}, {"customdata": [5.0]}, {"customdata": 2}]
    assert row_ids_from_selection({"points": points}) == [5, 2]


@pytest.mark.parametrize(
    "selection",
    [None, {}, {"points": []}, {"points": None}, {"box": [], "lasso": []}, "nonsense"],
)
def test__row_ids_from_selection__empty_or_missing_payloads_give_nothing(selection):
    assert row_ids_from_selection(selection) == []


def test__row_ids_from_selection__skips_points_without_a_usable_row_id():
    points = [
        {"point_index": 4},
        {"customdata": []},
        {"customdata": [None]},
        {"customdata": ["abc"]},
        {"customdata": [2.5]},
        {"customdata": [-1]},
        {"customdata": [np.int64(9)]},
    ]
    assert row_ids_from_selection({"points": points}) == [9]


def test__assign_label__returns_a_new_dict_and_overwrites_old_labels():
    anchors = {1: "a", 2: "a"}
    updated = assign_label(anchors, [2, 3], "  b ")
    assert updated == {1: "a", 2: "b", 3: "b"}
    assert anchors == {1: "a", 2: "a"}


@pytest.mark.parametrize("label", ["", "   ", None])
def test__assign_label__refuses_an_empty_name(label):
    with pytest.raises(ValueError, match="give the label a name"):
        assign_label({}, [1], label)


def test__remove_anchors__and_clear__leave_the_input_alone():
    anchors = {1: "a", 2: "b"}
    assert remove_anchors(anchors, [2, 99]) == {1: "a"}
    assert anchors == {1: "a", 2: "b"}
    assert clear_anchors() == {}


def test__anchors_to_targets__marks_unlabelled_rows_with_minus_one():
    y = anchors_to_targets({0: "cats", 3: "dogs"}, 5)
    assert y.dtype == object
    assert y.tolist() == ["cats", -1, -1, "dogs", -1]


def test__anchors_to_targets__refuses_rows_outside_the_table():
    with pytest.raises(ValueError, match=r"rows \[7\].*rows 0..4"):
        anchors_to_targets({7: "a"}, 5)


def test__anchors_csv__round_trips_including_commas_and_quotes():
    anchors = {10: "big, round", 2: 'say "hi"', 0: "plain"}
    text = anchors_to_csv(anchors)
    assert text.splitlines()[0] == "row_id,label"
    assert text.splitlines()[1].startswith("0,")
    assert anchors_from_csv(text, n_rows=11) == anchors


def test__a_label_typed_and_the_same_label_from_a_mac_file__are_one_label():
    typed = assign_label({}, [1], "caf\u00e9")  # é as one character, as browsers send it
    from_file = anchors_from_csv("row_id,label\n2,cafe\u0301\n", n_rows=3)  # e + accent
    assert from_file == {2: "caf\u00e9"}
    assert set(typed.values()) == set(from_file.values())


def test__anchors_from_csv__tolerates_a_bom_and_blank_lines():
    assert anchors_from_csv("\ufeffrow_id,label\n\n1,a\n\n", n_rows=2) == {1: "a"}
    assert anchors_from_csv("row_id,label\n", n_rows=2) == {}


@pytest.mark.parametrize("text", ["", "id,name\n1,a\n", "row_id\n1\n"])
def test__anchors_from_csv__refuses_a_wrong_header(text):
    with pytest.raises(ValueError, match="header 'row_id,label'"):
        anchors_from_csv(text, n_rows=5)


def test__anchors_from_csv__names_every_bad_line():
    text = "row_id,label\n1,a\nx,b\n9,c\n-2,d\n3,\n1,z\n"
    with pytest.raises(ValueError) as error:
        anchors_from_csv(text, n_rows=5)
    message = str(error.value)
    assert message.startswith("5 bad anchor rows")
    for expected in ["line 3: row id 'x'", "line 4: row id '9'", "line 5", "line 6: row 3 has an"]:
        assert expected in message
    assert "line 7: row 1 is given two labels" in message
    assert "load it again" in message


def test__row_ids_from_selection__reads_customdata_given_back_as_a_positional_dict():
    selection = {"points": [{"customdata": {"0": 12, "1": 0.7}, "point_index": 0},
                            {"customdata": {"0": 3.0, "1": 0.2}, "point_index": 1}]}
    assert row_ids_from_selection(selection) == [12, 3]


@pytest.mark.parametrize("text, expected", [
    ("row_id,label\n1,a,b\n", "3 cells where 2 are expected"),
    ("row_id,label\n1," + "x" * 101 + "\n", "keep labels to 100"),
    ('row_id,label\n1,"two\nlines"\n', "control characters"),
    ("row_id,label\n1,a\x00b\n", "control characters"),
    ("row,model,confidence,kmeans\n0,a,0.9,b\n", "found 'row,model,confidence,kmeans'"),
    ("row_id,label\n1.5,a\n", "not a whole number"),
])
def test__anchors_from_csv__refuses_files_that_do_not_match_with_a_message(text, expected):
    with pytest.raises(ValueError, match=expected):
        anchors_from_csv(text, n_rows=5)


@pytest.mark.parametrize("label", ["", "   ", "x" * 101, "tab\there", "line\nbreak", None])
def test__assign_label__refuses_empty_long_or_multi_line_labels(label):
    with pytest.raises(ValueError, match="label"):
        assign_label({}, [1], label)


def test__likely_label__is_the_users_label_holding_most_of_the_selection():
    from pfn_core.studio.anchors import likely_label

    labels = np.array(["a", "a", "b", "new 1", "new 1", "a"], dtype=object)
    anchors = {0: "a", 2: "b"}
    assert likely_label(anchors, labels, [0, 1, 5, 2]) == "a"
    assert likely_label(anchors, labels, [0, 2]) is None  # no majority
    assert likely_label(anchors, labels, [3, 4]) is None  # a new cluster is not a label
    assert likely_label({}, labels, [0, 1]) is None
    assert likely_label(anchors, labels, []) is None


def test__assign_labels__gives_each_row_its_own_label_and_skips_blanks():
    from pfn_core.studio.anchors import assign_labels

    anchors = {0: "a"}
    new = assign_labels(anchors, {5: " b ", 6: "", 7: None, 8: "a", 0: "c"})
    assert new == {0: "c", 5: "b", 8: "a"}
    assert anchors == {0: "a"}  # the input is not changed


def test__assign_labels__refuses_a_bad_label_before_changing_anything():
    import pytest

    from pfn_core.studio.anchors import assign_labels

    with pytest.raises(ValueError, match="control characters"):
        assign_labels({0: "a"}, {5: "b", 6: "bad\tlabel"})
