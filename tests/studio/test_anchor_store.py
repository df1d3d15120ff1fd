import sqlite3
from contextlib import closing

import pandas as pd

from pfn_core.studio.anchor_store import AnchorStore, dataset_fingerprint


def test__dataset_fingerprint__is_stable_for_equal_tables_and_changes_with_content():
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})
    same = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}, index=[5, 6])
    assert dataset_fingerprint(frame) == dataset_fingerprint(same)
    assert len(dataset_fingerprint(frame)) == 16
    changed_value = frame.assign(a=[1.0, 2.5])
    renamed = frame.rename(columns={"b": "c"})
    assert dataset_fingerprint(changed_value) != dataset_fingerprint(frame)
    assert dataset_fingerprint(renamed) != dataset_fingerprint(frame)


def test__anchor_store__persists_across_two_instances_on_the_same_file(tmp_path):
    path = tmp_path / "nested" / "anchors.sqlite"
    AnchorStore(path).save("abc", {3: "cats", 1: "dogs"})
    again = AnchorStore(path)
    assert again.load("abc") == {1: "dogs", 3: "cats"}
    assert again.updated_at("abc") is not None
    assert again.load("other") == {}
    assert again.updated_at("other") is None


def test__anchor_store__save_replaces_the_whole_set(tmp_path):
    store = AnchorStore(tmp_path / "anchors.sqlite")
    store.save("abc", {1: "a", 2: "b"})
    store.save("abc", {5: "c"})
    store.save("xyz", {1: "other dataset"})
    assert store.load("abc") == {5: "c"}
    assert store.load("xyz") == {1: "other dataset"}


def test__anchor_store__forget_removes_only_that_dataset(tmp_path):
    store = AnchorStore(tmp_path / "anchors.sqlite")
    store.save("abc", {1: "a"})
    store.save("xyz", {2: "b"})
    store.forget("abc")
    store.forget("never saved")
    assert store.load("abc") == {}
    assert store.updated_at("abc") is None
    assert store.load("xyz") == {2: "b"}


def test__anchor_store__writes_a_real_sqlite_file(tmp_path):
    path = tmp_path / "anchors.sqlite"
    AnchorStore(path).save("abc", {4: "d"})
    with closing(sqlite3.connect(path)) as connection:
        rows = connection.execute("SELECT fingerprint, row_id, label FROM anchors").fetchall()
    assert rows == [("abc", 4, "d")]
