"""Bad and hostile input in the studio (issue 16): a table over a limit is offered a sample,
markup in an upload is shown as text, and an anchors file round-trips or changes nothing."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

from pages.studio_ui.settings import projection_key
from pfn_core import limits
from pfn_core.studio.anchors import anchors_to_csv

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TIMEOUT = 120


def blobs_csv(n_rows: int, **extra) -> bytes:
    rng = np.random.default_rng(0)
    half = n_rows // 2
    frame = pd.DataFrame({
        "x": np.concatenate([rng.normal(0, 1, half), rng.normal(6, 1, n_rows - half)]),
        "y": np.concatenate([rng.normal(0, 1, half), rng.normal(6, 1, n_rows - half)]),
        **extra,
    })
    return frame.to_csv(index=False).encode()


def open_upload(name: str, data: bytes, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["uploaded_table"] = (name, data)
    at.session_state[projection_key(name)] = "PCA"
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def test__table_over_the_row_limit__names_the_limit_and_offers_a_sample(monkeypatch):
    monkeypatch.setattr(limits, "MAX_ROWS", 100)
    at = open_upload("big.csv", blobs_csv(130))
    assert not at.exception
    assert any("130 rows (the limit is 100)" in e.value.replace("\\", "") for e in at.error)
    assert len(maps(at)) == 0
    at.button(key="sample_over_limit").click().run()
    assert not at.exception and not at.error
    assert at.session_state["studio"].X.shape[0] == 100
    assert any("Sampled to 100 of 130 rows" in i.value for i in at.info)
    assert len(maps(at)) == 2


def test__markup_in_an_upload__is_shown_as_text_in_captions_and_sent_as_text_to_the_maps():
    kinds = np.where(np.arange(80) < 40, "<i>west</i>", "**east**")
    at = open_upload("<b>shop</b>.csv", blobs_csv(80, kind=kinds, note=["<b>n</b>"] * 80),
                     **{"features_<b>shop</b>.csv": ["x", "y"],
                        "hover_<b>shop</b>.csv": ["note"]})
    assert not at.exception
    hover = map_data(maps(at)[0])["hover"]  # sent with the coordinates, on the first run
    assert hover[0] == "note: <b>n</b>"  # as typed: the component shows it as a text node
    truth = next(s for s in at.selectbox if s.label.startswith("Ground truth"))
    truth.set_value("kind").run()
    assert not at.exception
    caption = next(c.value for c in at.caption if "Re-clustered" in c.value)
    assert "\\<b\\>shop\\<\\/b\\>" in caption  # the file name, escaped for Markdown
    against = next(c.value for c in at.caption if c.value.startswith("Against the ground"))
    assert "kind" in against
    next(r for r in at.radio if r.label.startswith("Colour the model map")).set_value(
        "Ground truth").run()
    assert not at.exception
    names = map_data(maps(at)[0])["names"]
    assert "<i>west</i>" in names and "**east**" in names  # the legend's names, as typed
    # (tests/test_safety.py: the component puts what it is sent into the page as text only)


def maps(at: AppTest) -> list:
    """The two map components (model, K-means)."""
    return at.get("bidi_component")


def map_data(element) -> dict:
    """What the map component was sent, as JSON (Arrow tables appear as references)."""
    proto = element.proto
    return json.loads(proto.mixed.json if proto.WhichOneof("data") == "mixed" else proto.json)


def test__anchors_csv__round_trips_into_another_session_and_a_bad_file_changes_nothing():
    first = AppTest.from_file(APP, default_timeout=TIMEOUT)
    first.query_params["session"] = "exporter"
    first.run()
    first.session_state["selection"] = [4, 8, 15]
    first.run()
    first.text_input(key="new_label").set_value('odd, "quoted" label')
    first.button(key="assign").click().run()
    exported = anchors_to_csv(first.session_state["anchors"])  # what the download offers

    second = AppTest.from_file(APP, default_timeout=TIMEOUT)
    second.query_params["session"] = "importer"
    second.run()
    before = dict(second.session_state["anchors"])
    n_rows = second.session_state["n_rows"]
    for bad in (f"row_id,label\n{n_rows + 5},a\n", "row,model\n1,a\n", "row_id,label\nx,a\n"):
        second.file_uploader(key="anchor_file").set_value(("bad.csv", bad.encode(), "text/csv"))
        second.run()
        assert not second.exception
        assert any("Could not load anchors" in e.value for e in second.error)
        assert second.session_state["anchors"] == before
    second.file_uploader(key="anchor_file").set_value(
        ("anchors.csv", exported.encode(), "text/csv"))
    second.run()
    assert not second.exception
    assert second.session_state["anchors"] == first.session_state["anchors"]
