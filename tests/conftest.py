"""Fixtures shared by the whole suite."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[1]
REFERENCE_DIR = REPO_DIR.parent / "shared" / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The official standards' facts beside the checkout (`../shared/reference`)."""
    if not REFERENCE_DIR.is_dir():
        pytest.skip(f"reference material not found at {REFERENCE_DIR}")
    return REFERENCE_DIR
