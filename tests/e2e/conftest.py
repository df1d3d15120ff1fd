"""Shared by the browser tests: where their screenshots go."""

from __future__ import annotations

from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture
def save_screenshot():
    """save(page, file_name, full_page=False) -> the PNG's path under ``tests/artifacts/``."""

    def save(page, file_name: str, full_page: bool = False) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / file_name
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return save
