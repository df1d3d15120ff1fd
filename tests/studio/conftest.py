"""Fixtures of the studio's tests."""

import pytest


@pytest.fixture
def db_path(tmp_path):
    """Where a test's session database goes (its folder does not exist yet)."""
    return tmp_path / "state" / "sessions.sqlite"
