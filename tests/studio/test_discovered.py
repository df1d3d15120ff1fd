import numpy as np
import pytest

from pfn_core.studio import discovered


def test__new_clusters__lists_the_models_own_clusters_in_number_order_with_sizes():
    labels = np.array(["new 10", "a", "new 2", "new 2", "new 1", "renew 3", "new 1x"],
                      dtype=object)
    assert discovered.new_clusters(labels, ["a"]) == [("new 1", 1), ("new 2", 2),
                                                      ("new 10", 1)]


def test__new_clusters__a_name_given_to_anchors_is_never_new():
    assert discovered.new_clusters(["new 1", "new 2", "new 2"], ["new 1"]) == [("new 2", 2)]
    assert discovered.new_clusters(["a", "b"], []) == []


def test__surest_rows__takes_the_most_confident_rows_of_the_cluster_but_not_anchors():
    labels = ["new 1", "a", "new 1", "new 1", "new 1"]
    confidence = [0.5, 0.99, 0.9, 0.7, 0.9]
    assert discovered.surest_rows(labels, confidence, "new 1", n=3) == [2, 4, 3]
    assert discovered.surest_rows(labels, confidence, "new 1", n=3, exclude={2: "x"}) == [4, 3, 0]
    assert discovered.surest_rows(labels, confidence, "new 9") == []


def test__surest_rows__refuses_mismatched_inputs_and_negative_counts():
    with pytest.raises(ValueError, match="one value per row"):
        discovered.surest_rows(["a", "b"], [0.5], "a")
    with pytest.raises(ValueError, match="zero or more"):
        discovered.surest_rows(["a"], [0.5], "a", n=-1)


def test__name_new_cluster__anchors_its_five_surest_rows_under_the_name_and_keeps_the_rest():
    labels = np.array(["a"] * 3 + ["new 1"] * 8, dtype=object)
    confidence = np.linspace(0.2, 0.9, 11)
    anchors = {0: "a"}
    named = discovered.name_new_cluster(anchors, labels, confidence, "new 1", "  churners ")
    assert named == {0: "a", 10: "churners", 9: "churners", 8: "churners", 7: "churners",
                     6: "churners"}
    assert anchors == {0: "a"}  # not changed in place


def test__name_new_cluster__a_name_in_use_merges_into_that_label():
    named = discovered.name_new_cluster({0: "a"}, ["a", "new 1", "new 1"], [1, 0.8, 0.9],
                                        "new 1", "a")
    assert named == {0: "a", 1: "a", 2: "a"}


@pytest.mark.parametrize("name, message", [("", "type a name"), ("  ", "type a name"),
                                           (None, "type a name"), ("a\nb", "control")])
def test__name_new_cluster__refuses_bad_names(name, message):
    with pytest.raises(ValueError, match=message):
        discovered.name_new_cluster({}, ["new 1"], [0.9], "new 1", name)


def test__name_new_cluster__a_cluster_that_is_gone_says_so():
    with pytest.raises(ValueError, match="no cluster “new 2”"):
        discovered.name_new_cluster({}, ["new 1"], [0.9], "new 2", "b")


def test__evidence_table__one_row_per_candidate_by_k_with_the_chosen_one_marked():
    table = discovered.evidence_table({4: 0.5, 2: 1.5, 3: -0.1}, chosen=2)
    assert table["K"].tolist() == [2, 3, 4]
    assert table["evidence"].tolist() == [1.5, -0.1, 0.5]
    assert table["chosen"].tolist() == [True, False, False]
    assert discovered.evidence_table({}, chosen=3).empty


def test__why_not_the_highest_bar__names_the_pieces_or_the_models_agreement_and_else_is_silent():
    scores = {2: 0.9, 3: 0.7, 4: 0.2, 6: 1.4}
    assert discovered.why_not_the_highest_bar(scores, 6) == ""  # the highest bar
    assert discovered.why_not_the_highest_bar({2: 1.5, 3: 0.7}, 3).startswith(
        "The highest bar is K = 2, but the table falls into 3 pieces")
    assert discovered.why_not_the_highest_bar({}, 3) == ""
    # Many touching clusters: the evidence says 2, the two starts agree only at 31.
    scores = {2: 0.92, 31: 0.71, 5: 0.51, 13: 0.50}
    agreement = {2: 0.02, 31: 0.97, 5: 0.40, 13: 0.55}
    sentence = discovered.why_not_the_highest_bar(scores, 31, agreement)
    assert sentence.startswith("The highest bar is K = 2, but the model agrees with itself")
    assert "alike into 31 clusters (agreement 0.97) and differently into 2 (0.02)" in sentence
    # Fewer clusters than the highest bar, for the same reason.
    sentence = discovered.why_not_the_highest_bar({4: 1.0, 2: 0.8}, 2, {4: 0.76, 2: 1.0})
    assert "alike into 2 clusters (agreement 1.00) and differently into 4 (0.76)" in sentence
