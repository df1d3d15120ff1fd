"""Every studio test saves anchors and maps into its own temporary files."""

import pytest


@pytest.fixture(autouse=True)
def studio_files(tmp_path, monkeypatch):
    monkeypatch.setenv("PFN_STUDIO_DB", str(tmp_path / "anchors.sqlite"))
    monkeypatch.setenv("PFN_STUDIO_CACHE", str(tmp_path / "projections"))
    return tmp_path


@pytest.fixture(autouse=True)
def restore_torch_threads():
    """The studio sets torch's thread count for its process (studio.runtime); AppTest runs it
    in this one, so put the count back for the tests that follow."""
    import torch

    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)
