import os

from pfn_core.studio import disk_budget


def _file(folder, name, size, mtime):
    path = folder / name
    path.write_bytes(b"x" * size)
    os.utime(path, ns=(mtime, mtime))
    return path


def test__evict_oldest__deletes_the_oldest_files_until_the_rest_fit(tmp_path):
    old = _file(tmp_path, "old.npz", 100, 1_000)
    middle = _file(tmp_path, "middle.npz", 100, 2_000)
    new = _file(tmp_path, "new.npz", 100, 3_000)
    other = _file(tmp_path, "notes.txt", 500, 500)  # not matched: never counted nor deleted
    assert disk_budget.evict_oldest(tmp_path, 200, "*.npz") == [old]
    assert middle.exists() and new.exists() and other.exists()
    assert disk_budget.evict_oldest(tmp_path, 50, "*.npz") == [middle, new]


def test__evict_oldest__keeps_everything_within_the_budget(tmp_path):
    _file(tmp_path, "a.npy", 100, 1_000)
    assert disk_budget.evict_oldest(tmp_path, 100, "*.npy") == []
    assert disk_budget.evict_oldest(tmp_path / "absent", 0, "*.npy") == []


def test__touch__makes_a_used_file_the_last_to_go(tmp_path):
    used = _file(tmp_path, "used.npz", 100, 1_000)
    unused = _file(tmp_path, "unused.npz", 100, 2_000)
    disk_budget.touch(used)
    disk_budget.touch(tmp_path / "gone.npz")  # a missing file is no error
    assert disk_budget.evict_oldest(tmp_path, 100, "*.npz") == [unused]
