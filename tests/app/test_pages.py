"""Every page under ``pages/`` runs without an exception, alone and after the studio."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
COMPARE = "pages/1_Compare_methods.py"
HOW = "pages/2_How_it_works.py"
UNLABELLED_TOKEN = "#777777"  # the grey of unlabelled context tokens in the attention map
TIMEOUT = 180  # the experiment on the teaching page runs the model a dozen times


def select_slider(at, label):
    return next(s for s in at.select_slider if s.label == label)


def chart_keys(at) -> set[str]:
    """The user keys of the page's plotly charts (their ids end in '-<key>')."""
    return {chart.proto.id.rsplit("-", 1)[-1] for chart in at.get("plotly_chart")}


def test__compare_page__opened_first__uses_the_default_sample():
    at = AppTest.from_file(str(ROOT / COMPARE), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any("default sample" in i.value for i in at.info)
    methods = at.dataframe[0].value["method"].tolist()
    assert methods[0] == "PFN (this model)" and "K-means" in methods and "HDBSCAN" in methods
    assert len(at.get("plotly_chart")) == len(methods)


def test__compare_page__after_the_studio__compares_on_the_studio_data():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.switch_page(COMPARE).run()
    assert not at.exception
    assert not at.info  # no "default sample" notice: the studio's data is used
    assert "ARI" in at.dataframe[0].value.columns


def test__how_it_works_page__shows_attention_layers_and_the_anchor_experiment():
    at = AppTest.from_file(str(ROOT / HOW), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert {"attention_map", "sharpness", "layers"} <= chart_keys(at)
    assert at.metric[0].label.startswith("Attention on “")
    assert not any(UNLABELLED_TOKEN in c.proto.spec for c in at.get("plotly_chart"))
    select_slider(at, "Unlabelled context tokens").set_value(32).run()  # tokens join anchors
    assert not at.exception
    assert any(UNLABELLED_TOKEN in c.proto.spec for c in at.get("plotly_chart"))
    at.session_state["query"] = (at.session_state["task"], 5)  # as a click on row 5 does
    at.run()
    assert any("now: row 5," in c.value for c in at.caption)
    next(s for s in at.slider if s.label == "Points").set_value(100)  # keep the experiment small
    at.toggle(key="run_experiment").set_value(True).run(timeout=2 * TIMEOUT)
    assert not at.exception
    assert "experiment" in chart_keys(at)  # + ARI against anchors per cluster


def test__how_it_works_page__with_ten_anchors__shows_the_anchors_metric():
    at = AppTest.from_file(str(ROOT / HOW), default_timeout=TIMEOUT).run()
    assert "metric" not in chart_keys(at)  # 3 anchors per cluster: no metric view
    select_slider(at, "Anchors per cluster").set_value(10).run()
    assert not at.exception
    assert "metric" in chart_keys(at)  # + the table before and in the anchors' metric
    assert any("set the metric" in m.value for m in at.markdown)


def test__how_it_works_page__without_anchors__explains_instead_of_failing():
    at = AppTest.from_file(str(ROOT / HOW), default_timeout=TIMEOUT)
    at.run()
    select_slider(at, "Anchors per cluster").set_value(0).run()
    assert not at.exception
    assert any("no anchors" in i.value for i in at.info)
    assert "identity" in chart_keys(at)  # identity attention still runs, beside the model
    assert any("no anchors (K given)" in c.proto.spec for c in at.get("plotly_chart"))


def test__how_it_works_page__shows_attention_without_training_two_heads_and_the_paper():
    at = AppTest.from_file(str(ROOT / HOW), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert {"identity", "two_heads"} <= chart_keys(at)
    assert any(r"\operatorname{softmax}" in latex.value for latex in at.latex)
    groups = next(m for m in at.metric if m.label == "Groups after this step")
    next(s for s in at.slider if s.label == "Step").set_value(0).run()
    assert not at.exception  # before any step every point is its own group
    after_none = next(m for m in at.metric if m.label == "Groups after this step")
    assert int(after_none.value) > int(groups.value)
    at.radio(key="kernel").set_value("distance").run()
    select_slider(at, "Inverse temperature β").set_value(3).run()
    assert not at.exception
    cosines = next(c.value for c in at.caption if c.value.startswith("Cosine between"))
    assert "It reproduces" in cosines
    shown = {image.proto.imgs[0].caption for image in at.get("image")}
    assert shown == {p.name for p in (ROOT / "docs" / "paper").glob("fig*.png")}
