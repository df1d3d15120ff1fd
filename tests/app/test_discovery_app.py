"""The studio's discovery actions under AppTest (issue 15): without anchors the model's own K
with its evidence (and K by hand), naming a cluster nobody labelled in one action (saved in
the session, undone like Assign), and the suggest button selecting the rows to label next."""

from pathlib import Path

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

from pages.studio_ui.settings import projection_key
from pfn_core.studio import session as studio_session
from pfn_core.studio.sessions import SessionStore

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TIMEOUT = 120


def open_studio(**state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def click(at: AppTest, label: str) -> AppTest:
    return at.button[[b.label for b in at.button].index(label)].click().run()


def main_text(at: AppTest) -> str:
    return " ".join(m.value for m in at.main.markdown)


def subheaders(at: AppTest) -> str:
    return " ".join(h.value for h in at.subheader)


def k_switch(at: AppTest):
    return next(t for t in at.main.toggle if t.label == "Set the number of clusters by hand")


def stored_anchors(at: AppTest) -> dict[int, str]:
    store = SessionStore(studio_session.anchor_db_path())
    return store.anchors(at.session_state["labelling_session"], at.session_state["fingerprint"])


def test__without_anchors__the_model_finds_k_with_its_evidence_and_k_can_be_set_by_hand():
    at = open_studio()
    assert not [t for t in at.main.toggle if "by hand" in t.label]  # anchors set K
    click(at, "Clear")
    assert not at.exception
    found = at.session_state["studio"].n_clusters
    assert f"The model finds {found} clusters" in main_text(at)
    assert f"{found} clusters from 0 anchors" in subheaders(at)
    assert f"K-means, K = {found}" in subheaders(at)  # the comparison uses the model's K
    assert len(at.get("vega_lite_chart")) == 1  # the evidence per candidate K
    assert not [n for n in at.main.number_input if n.label == "How many clusters?"]

    k_switch(at).set_value(True).run()
    question = next(n for n in at.main.number_input if n.label == "How many clusters?")
    assert question.value == found  # starts from the model's K
    by_hand = 3 if found != 3 else 4
    question.set_value(by_hand).run()
    assert not at.exception
    assert f"{by_hand} clusters from 0 anchors" in subheaders(at)
    assert f"{by_hand} clusters, set by hand" in main_text(at)
    assert f"The model itself finds {found}" in main_text(at)
    assert at.session_state["studio"].n_clusters == by_hand

    k_switch(at).set_value(False).run()  # back to automatic
    assert f"The model finds {found} clusters" in main_text(at)
    assert f"{found} clusters from 0 anchors" in subheaders(at)


def test__a_table_with_no_clusters__the_model_says_its_k_rests_on_weak_evidence():
    rng = np.random.default_rng(0)
    cloud = pd.DataFrame(rng.uniform(size=(400, 3)), columns=["a", "b", "c"])
    at = open_studio(uploaded_table=("cloud.csv", cloud.to_csv(index=False).encode()),
                     **{projection_key("cloud.csv"): "PCA"})
    assert not at.exception
    assert "The model finds" in main_text(at) and "Weak evidence" in main_text(at)
    assert "no clear groups" in main_text(at)
    # The blobs sample, its example anchors removed: clearly grouped, no warning.
    blobs = open_studio(sample="blobs", **{projection_key("blobs"): "PCA"})
    click(blobs, "Remove example anchors")
    assert "The model finds" in main_text(blobs) and "Weak evidence" not in main_text(blobs)


def test__a_new_cluster__is_named_in_one_action__saved_in_the_session_and_undone():
    at = open_studio(sample="blobs", **{projection_key("blobs"): "PCA"})
    at.session_state["selection"] = [397, 508]  # two of the five example anchors
    at.run()
    click(at, "Unlabel")
    before = dict(at.session_state["anchors"])
    assert len(before) == 3
    assert at.button(key="name_it_new_1").label == "Name it"
    assert "nobody labelled" in main_text(at)

    at.button(key="name_it_new_1").click().run()  # no name typed: says what to do
    assert "Type a name for the cluster “new 1” first" in " ".join(e.value for e in at.error)
    assert at.session_state["anchors"] == before

    at.text_input(key="name_for_new_1").set_value("east")
    at.button(key="name_it_new_1").click().run()
    assert not at.exception
    anchors = at.session_state["anchors"]
    named = {r for r, label in anchors.items() if label == "east"}
    assert len(named) == 5 and not named & set(before)
    assert stored_anchors(at) == anchors  # committed to the session store
    assert "Named cluster “new 1” “east”" in " ".join(s.value for s in at.success)
    assert "east" in " ".join(c.value for c in at.caption if c.value.startswith("Model: "))

    click(at, "Undo")
    assert not at.exception
    assert at.session_state["anchors"] == before
    assert stored_anchors(at) == before


def test__suggest_button__selects_the_rows_to_label_next():
    at = open_studio()
    suggestions = at.session_state["suggestions"]
    assert len(suggestions) == 10 and not set(suggestions) & set(at.session_state["anchors"])
    at.button(key="suggest_rows").click().run()
    assert not at.exception
    assert at.session_state["selection"] == suggestions
    assert "10 points selected" in main_text(at)


def test__labels_typed_next_to_the_suggestions__become_anchors_in_one_undoable_step():
    at = open_studio()
    suggestions = at.session_state["suggestions"]
    before = dict(at.session_state["anchors"])
    editor_key = f"suggestion_labels_{hash(tuple(int(r) for r in suggestions))}"
    at.session_state[editor_key] = {"edited_rows": {0: {"label": "edge"}, 1: {"label": " "},
                                                    3: {"label": "middle"}},
                                    "added_rows": [], "deleted_rows": []}
    at.button(key="label_suggestions").click().run()
    assert not at.exception
    anchors = at.session_state["anchors"]
    assert anchors[suggestions[0]] == "edge" and anchors[suggestions[3]] == "middle"
    assert suggestions[1] not in anchors  # left blank
    assert len(anchors) == len(before) + 2
    assert stored_anchors(at) == anchors
    click(at, "Undo")
    assert at.session_state["anchors"] == before


def test__assign_typed_labels__without_any_typed__says_what_to_do():
    at = open_studio()
    before = dict(at.session_state["anchors"])
    at.button(key="label_suggestions").click().run()
    assert not at.exception
    assert at.session_state["anchors"] == before
    assert "Type a label next to at least one suggested row" in " ".join(
        e.value for e in at.error)
