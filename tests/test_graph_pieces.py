import numpy as np

from pfn_core.graph_pieces import join_close_components


def test__graph_pieces__joins_components_no_farther_apart_than_their_links():
    stroke = np.stack([np.arange(40) * 0.1, np.zeros(40)], 1)
    geometry = np.concatenate([stroke, stroke + [3.95, 0], stroke + [20, 0]])
    component = np.repeat([0, 1, 2], 40)  # as a k-NN graph might cut it
    links = np.full(120, 0.1)  # each landmark's longest link
    joined = join_close_components(component, geometry, links, join_ratio=1.0)
    assert joined[0] == joined[40] != joined[80]  # 0.05 apart: joined; 16 apart: not
    assert len(set(join_close_components(component, geometry, links, 0.4))) == 3


def test__base_positions__are_a_landmarks_own_or_its_nearest_ones():
    from pfn_core.graph_pieces import base_positions
    from pfn_core.prepared_inputs import prepare_inputs

    X = np.random.default_rng(0).normal(size=(9000, 2))  # more rows than base landmarks
    table = prepare_inputs(X, None, anchor_metric=False)
    base_rows = table.views.base_graph.rows
    other = np.setdiff1d(np.arange(len(X)), base_rows)[:3]
    rows = np.concatenate([base_rows[[5, 0]], other])
    nearest = np.concatenate([base_rows[[1, 1]], base_rows[[7, 8, 9]]])
    assert base_positions(table, rows, nearest).tolist() == [5, 0, 7, 8, 9]
