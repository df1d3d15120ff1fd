import pandas as pd

from pfn_core.studio.anchor_store import dataset_fingerprint


def test__dataset_fingerprint__is_stable_for_equal_tables_and_changes_with_content():
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})
    same = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}, index=[5, 6])
    assert dataset_fingerprint(frame) == dataset_fingerprint(same)
    assert len(dataset_fingerprint(frame)) == 16
    changed_value = frame.assign(a=[1.0, 2.5])
    renamed = frame.rename(columns={"b": "c"})
    assert dataset_fingerprint(changed_value) != dataset_fingerprint(frame)
    assert dataset_fingerprint(renamed) != dataset_fingerprint(frame)
