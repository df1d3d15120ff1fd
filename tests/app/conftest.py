"""Every studio test saves anchors and maps into its own temporary files."""

import pytest


@pytest.fixture(autouse=True)
def studio_files(tmp_path, monkeypatch):
    monkeypatch.setenv("PFN_STUDIO_DB", str(tmp_path / "anchors.sqlite"))
    monkeypatch.setenv("PFN_STUDIO_CACHE", str(tmp_path / "projections"))
    return tmp_path
