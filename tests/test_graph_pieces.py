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
