"""The studio (app.py) under Streamlit's AppTest: no exceptions, maps drawn, anchors work."""

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

from pages.studio_ui.settings import projection_key

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TIMEOUT = 120  # seconds per run; the first run imports torch and loads the model


def open_studio(**state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def select(at: AppTest, rows) -> AppTest:
    """What the map's selection callback does when points are lassoed, then the rerun."""
    at.session_state["selection"] = list(rows)
    return at.run()


def maps(at: AppTest) -> list:
    """The two map components (model, K-means) as AppTest sees them (unknown elements)."""
    return at.get("bidi_component")


def map_data(element) -> dict:
    """What the map component was sent, as JSON (Arrow tables appear as references)."""
    proto = element.proto
    return json.loads(proto.mixed.json if proto.WhichOneof("data") == "mixed" else proto.json)


def counts_caption(at: AppTest) -> str:
    return next(c.value for c in at.caption if c.value.startswith("Model: "))


def uploaded_csv() -> bytes:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "height": np.concatenate([rng.normal(0, 1, 60), rng.normal(6, 1, 60)]),
        "weight": np.concatenate([rng.normal(0, 1, 60), rng.normal(6, 1, 60)]),
        "score": rng.normal(size=120),
        "shop": rng.choice(["north", "south"], 120),
        "kind": ["a"] * 60 + ["b"] * 60,
    })
    frame.loc[3, "score"] = np.nan
    return frame.to_csv(index=False).encode()


def test__studio__opens_on_a_sample_with_example_anchors_and_two_maps():
    at = open_studio()
    assert not at.exception
    assert len(maps(at)) == 2
    assert at.session_state["anchors"] and at.session_state["example_rows"]
    assert any("Re-clustered" in c.value for c in at.caption)
    assert at.session_state["studio"].projection.shape == (len(at.session_state["studio"].X), 2)
    estimate = next(m for m in at.metric if m.label.startswith("Unlabelled rows right"))
    assert estimate.value.endswith("%") and 0 < int(estimate.value[:-1]) <= 100


def test__assigning_a_new_label__changes_the_predictions_and_counts():
    at = open_studio()
    before = counts_caption(at)
    select(at, list(range(0, 600, 7)))
    at.text_input(key="new_label").set_value("picked")
    at.button(key="assign").click().run()
    assert not at.exception
    assert set(at.session_state["anchors"].values()) >= {"picked"}
    assert "picked" in counts_caption(at) and counts_caption(at) != before
    assert not at.session_state["selection"]


def test__undo_and_clear__restore_and_drop_anchors():
    at = open_studio()
    examples = dict(at.session_state["anchors"])
    select(at, [10, 11])
    at.text_input(key="new_label").set_value("extra")
    at.button(key="assign").click().run()
    at.button[[b.label for b in at.button].index("Undo")].click().run()
    assert at.session_state["anchors"] == examples
    at.button[[b.label for b in at.button].index("Clear")].click().run()
    assert not at.exception
    assert at.session_state["anchors"] == {}
    assert len(maps(at)) == 2  # clustered without anchors, from n_clusters


def test__anchors__are_restored_when_the_same_session_opens_the_table_again():
    at = open_studio()
    select(at, [1, 2, 3])
    at.text_input(key="new_label").set_value("kept")
    at.button(key="assign").click().run()
    again = AppTest.from_file(APP, default_timeout=TIMEOUT)
    again.query_params["session"] = at.query_params["session"]  # same URL (issue 16)
    again.run()
    assert not again.exception
    assert again.session_state["anchors"] == at.session_state["anchors"]
    assert any("Restored" in i.value for i in again.info)


def test__uploaded_csv__is_clustered_with_notes_about_its_columns():
    at = open_studio(uploaded_table=("shop.csv", uploaded_csv()),
                     **{projection_key("shop.csv"): "PCA"},
                     **{"features_shop.csv": ["height", "weight", "score", "shop"]})
    assert not at.exception
    assert not at.error
    assert len(maps(at)) == 2
    notes = " ".join(c.value for c in at.caption)
    assert "one-hot" in notes and "missing" in notes
    assert at.session_state["studio"].X.shape[0] == 120


def test__an_id_column__is_left_out_of_the_features_and_the_studio_says_so():
    frame = pd.read_csv(io.BytesIO(uploaded_csv()))
    frame.insert(0, "customer_id", np.arange(1000, 1000 + len(frame))[::-1])
    at = open_studio(uploaded_table=("ids.csv", frame.to_csv(index=False).encode()),
                     **{projection_key("ids.csv"): "PCA"})
    assert not at.exception and not at.error
    assert "customer_id" not in at.session_state["features_ids.csv"]
    assert at.session_state["studio"].X.shape == (120, 3)  # height, weight, score
    assert any("Left out of the features by default" in c.value and "customer\\_id" in c.value
               for c in at.sidebar.caption)


def test__a_table_of_ratings__says_its_copies_take_their_rows_cluster():
    rng = np.random.default_rng(0)
    group = rng.integers(0, 2, 400)
    answers = np.clip(np.round(np.where(group[:, None] == 0, 2, 4) + rng.normal(0, 0.7,
                                                                                (400, 4))), 1, 5)
    frame = pd.DataFrame(answers, columns=["q1", "q2", "q3", "q4"])
    at = open_studio(uploaded_table=("ratings.csv", frame.to_csv(index=False).encode()),
                     **{projection_key("ratings.csv"): "PCA"})
    assert not at.exception and not at.error
    distinct = len(np.unique(answers, axis=0))
    notes = " ".join(c.value for c in at.main.caption)
    assert f"{400 - distinct:,} rows repeat another row exactly" in notes
    assert f"clustered the {distinct:,} distinct rows" in notes


def test__unreadable_upload__shows_an_error_not_a_traceback():
    at = open_studio(uploaded_table=("notes.txt", b"hello"))
    assert not at.exception
    assert "unsupported extension" in at.error[0].value
    # ... in the main area too, with what to do, not only in the sidebar.
    assert any("Could not read notes" in e.value and "Upload another file" in e.value
               for e in at.main.error)


def test__upload_chosen_and_no_file_yet__the_main_area_says_what_to_upload():
    at = open_studio(source="Upload a file")
    assert not at.exception
    assert at.title[0].value == "Clustering by attention"
    assert any("Upload a table" in i.value and "Built-in sample" in i.value for i in at.main.info)
    assert not maps(at)


def test__columns_sharing_one_unit__recluster_without_losing_the_anchors():
    at = open_studio()
    anchors = dict(at.session_state["anchors"])
    same_unit = next(t for t in at.toggle if t.label == "Columns share one unit")
    assert same_unit.value is False
    same_unit.set_value(True).run()
    assert not at.exception
    assert at.session_state["anchors"] == anchors
    assert any("Re-clustered" in c.value for c in at.caption)
    assert len(maps(at)) == 2


def test__bad_thread_setting__is_reported_and_the_studio_still_runs(monkeypatch):
    monkeypatch.setenv("PFN_STUDIO_THREADS", "many")
    at = open_studio()
    assert not at.exception
    assert any("PFN_STUDIO_THREADS" in w.value for w in at.warning)
    assert len(maps(at)) == 2


def test__maps__get_their_coordinates_once_and_then_only_the_new_style():
    at = open_studio()
    first = [map_data(m) for m in maps(at)]
    assert all(d["points"] is not None for d in first)  # an Arrow reference on the first run
    assert all(d["style"] is not None for d in first)
    select(at, [5, 6, 7])
    selected = [map_data(m) for m in maps(at)]  # only the selection changed: no style sent
    assert all(d["points"] is None and d["style"] is None for d in selected)
    assert [d["style_version"] for d in selected] == [d["style_version"] for d in first]
    assert selected[0]["selection"] == [5, 6, 7] and selected[0]["version"] != first[0]["version"]
    assert selected[1]["version"] == first[1]["version"]  # the K-means map: nothing to redraw
    at.text_input(key="new_label").set_value("later")
    at.button(key="assign").click().run()
    again = [map_data(m) for m in maps(at)]  # new anchors, new clusters: the style again
    assert all(d["points"] is None and d["style"] is not None for d in again)
    assert [d["map_id"] for d in again] == [d["map_id"] for d in first]
    assert again[0]["version"] != first[0]["version"]
    assert again[0]["anchors"] is not None  # Arrow columns (figures.MapStyle.anchor_frame)
    assert {5, 6, 7} <= set(at.session_state["anchors"])
    assert again[0]["anchor_palette"] and again[0]["anchor_palette"] == sorted(
        set(again[0]["anchor_palette"]))
    assert again[0]["selectable"] and not again[1]["selectable"]


def test__a_new_umap_map__is_computed_in_the_background_with_the_pca_map_shown_meanwhile():
    from pfn_core.studio import background_map, projection

    try:
        at = open_studio(sample="wine")
        assert not at.exception
        studio = at.session_state["studio"]
        assert "Computing the UMAP map in the background" in " ".join(i.value for i in at.info)
        pca_id = projection.projection_cache_key(studio.X, "pca", None, 0)
        assert map_data(maps(at)[0])["map_id"].startswith(pca_id)
        assert background_map._jobs  # the UMAP process was started
    finally:
        for process, _ in background_map._jobs.values():
            process.kill()
            process.wait()
        background_map._jobs.clear()


def test__one_anchor_in_two_of_three_blobs__the_map_says_it_comes_from_the_discovery_pass():
    rng = np.random.default_rng(4)
    blobs = np.concatenate([rng.normal(c, 0.8, (70, 2)) for c in [(0, 0), (10, 0), (5, 9)]])
    csv = pd.DataFrame(blobs, columns=["x", "y"]).to_csv(index=False).encode()
    at = open_studio(uploaded_table=("blobs.csv", csv), **{projection_key("blobs.csv"): "PCA"},
                     **{"features_blobs.csv": ["x", "y"]})
    for row, name in ((0, "left"), (70, "right")):
        select(at, [row])
        at.text_input(key="new_label").set_value(name)
        at.button(key="assign").click().run()
    assert not at.exception
    assert any("the pass that also looks for clusters nobody labelled" in c.value
               for c in at.caption)


def test__one_anchor_per_blob__the_map_says_it_shows_the_models_own_clustering():
    at = open_studio(uploaded_table=("shop.csv", uploaded_csv()),
                     **{projection_key("shop.csv"): "PCA"},
                     **{"features_shop.csv": ["height", "weight"]})
    assert not at.session_state["anchors"]  # an upload starts without anchors
    for row, name in ((0, "low"), (60, "high")):  # one anchor in each blob
        select(at, [row])
        at.text_input(key="new_label").set_value(name)
        at.button(key="assign").click().run()
    assert not at.exception
    assert at.session_state["anchors"] == {0: "low", 60: "high"}
    assert any("the model's own clustering" in c.value for c in at.caption)


def test__a_selection_inside_a_label__offers_it_first_and_assigning_it_uses_the_guess():
    at = open_studio()
    anchors = dict(at.session_state["anchors"])
    row, name = next(iter(anchors.items()))
    X = at.session_state["studio"].X
    near = np.argsort(((X - X[row]) ** 2).sum(1))[:6]  # the anchor and its nearest rows
    near = [int(r) for r in near if int(r) not in anchors][:4]
    select(at, near)
    assert at.session_state["likely_label"] == name
    assert at.selectbox(key="existing_label").value == name
    at.button(key="assign").click().run()
    assert not at.exception
    assert all(at.session_state["anchors"][r] == name for r in near)
    assert any("started when the points were selected" in c.value for c in at.caption)


def test__a_table_of_two_columns__is_mapped_as_it_is_and_others_start_on_umap():
    from pfn_core.studio import projection

    at = open_studio()  # the moons: two columns
    assert not at.exception
    assert at.radio(key=projection_key("moons")).value == "Two columns"
    studio = at.session_state["studio"]
    pair_id = projection.projection_cache_key(studio.X, "columns", (0, 1), 0)
    assert map_data(maps(at)[0])["map_id"].startswith(pair_id)
    assert not any("UMAP" in i.value for i in at.info)  # no background map to wait for
    at.radio(key=projection_key("moons")).set_value("PCA").run()
    assert not at.exception and map_data(maps(at)[0])["map_id"].startswith(
        projection.projection_cache_key(studio.X, "pca", None, 0))
    at.selectbox(key="sample").set_value("iris").run()  # four columns: UMAP by default
    assert at.radio(key=projection_key("iris")).value == "UMAP"


def test__a_column_named_like_classes__is_the_ground_truth_not_a_feature():
    frame = pd.read_csv(io.BytesIO(uploaded_csv())).drop(columns=["shop", "kind"])
    frame["label"] = ["small"] * 60 + ["large"] * 60
    at = open_studio(uploaded_table=("labelled.csv", frame.to_csv(index=False).encode()),
                     **{projection_key("labelled.csv"): "PCA"})
    assert not at.exception and not at.error
    assert at.session_state["features_labelled.csv"] == ["height", "weight", "score"]
    truth = next(b for b in at.selectbox if b.label.startswith("Ground truth"))
    assert truth.value == "label"
    assert at.session_state["studio"].truth is not None
    assert any("label is taken as the ground truth by default" in c.value
               for c in at.sidebar.caption)
