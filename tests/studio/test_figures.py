import numpy as np

from pfn_core.studio.figures import UNCERTAINTY_COLOURS, map_style, sizes_table


def test__map_style__codes_colours_and_fades_by_confidence():
    labels = np.array(["a", "a", "b", "b"], dtype=object)
    style = map_style(labels, np.array([1.0, 0.5, 1.0, 0.5]), {"a": "#111111", "b": "#222222"},
                      anchors={0: "a", 3: "b"}, examples=[3], suggested=[1])
    assert style.names == ["a", "b"] and style.colours == ["#111111", "#222222"]
    assert style.code.tolist() == [0, 0, 1, 1] and style.code.dtype == np.uint16
    assert style.alpha[0] == 255 and style.alpha[1] == round(0.2 * 255)  # 0.5 = two-way chance
    assert style.anchors == [(0, "#111111", False), (3, "#222222", True)]
    assert style.suggested == [1]
    assert list(style.frame().columns) == ["code", "alpha", "confidence"]


def test__anchor_frame__sends_each_anchor_as_a_row_a_palette_index_and_an_example_flag():
    style = map_style(np.array(["a", "b", "b", "a"], dtype=object), np.ones(4),
                      {"a": "#222222", "b": "#111111"}, anchors={3: "a", 1: "b", 2: "b"},
                      examples=[2])
    frame, palette = style.anchor_frame()
    assert palette == ["#111111", "#222222"]
    assert frame["row"].tolist() == [3, 1, 2] and frame["row"].dtype == np.uint32
    assert [palette[c] for c in frame["colour"]] == ["#222222", "#111111", "#111111"]
    assert frame["example"].tolist() == [0, 0, 1]
    empty, no_colours = map_style(np.array(["a"]), np.ones(1), {}).anchor_frame()
    assert len(empty) == 0 and no_colours == []


def test__map_style__without_fading_every_point_is_equally_opaque():
    style = map_style(np.array(["a", "b"]), np.array([1.0, 0.1]), {}, fade=False)
    assert style.alpha[0] == style.alpha[1] and style.colours == ["#888888", "#888888"]


def test__map_style__uncertainty_colours_ten_bins_from_sure_to_unsure():
    style = map_style(np.array(["a", "a", "a"]), np.ones(3), {"a": "#111111"},
                      uncertainty=np.array([0.0, 0.55, 1.0]))
    assert style.code.tolist() == [0, 5, 9] and len(style.names) == 10
    assert style.colours == list(UNCERTAINTY_COLOURS) and style.legend_title


def test__sizes_table__counts_both_methods_per_cluster():
    styled = sizes_table(np.array(["a", "a", "b"]), np.array(["a", "b", "b"]), {"a": "#111"})
    table = styled.data.set_index("cluster")
    assert table.loc["a", "model"] == 2 and table.loc["b", "K-means"] == 2
