import numpy as np

from pfn_core.studio.figures import map_figure, sizes_table


def test__map_figure__carries_row_ids_and_draws_anchors_apart():
    Y = np.arange(12, dtype=float).reshape(6, 2)
    labels = np.array(["a", "a", "a", "b", "b", "b"], dtype=object)
    customdata = np.c_[np.arange(6), np.full(6, 0.9)]
    figure = map_figure(Y, labels, np.full(6, 0.9), {"a": "#111", "b": "#222"}, customdata,
                        anchors={0: "a", 3: "b"}, selectable=True)
    names = [trace.name for trace in figure.data]
    assert "anchors" in names and figure.layout.dragmode == "lasso"
    anchor_trace = figure.data[names.index("anchors")]
    assert sorted(int(r) for r in np.asarray(anchor_trace.customdata)[:, 0]) == [0, 3]
    point_rows = [int(r) for t in figure.data if t.name in ("a", "b") and t.customdata is not None
                  for r in np.asarray(t.customdata)[:, 0]]
    assert sorted(point_rows) == [1, 2, 4, 5]


def test__sizes_table__counts_both_methods_per_cluster():
    styled = sizes_table(np.array(["a", "a", "b"]), np.array(["a", "b", "b"]), {"a": "#111"})
    table = styled.data.set_index("cluster")
    assert table.loc["a", "model"] == 2 and table.loc["b", "K-means"] == 2
