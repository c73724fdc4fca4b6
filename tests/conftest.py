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


@pytest.fixture(scope="session")
def dev_pki(tmp_path_factory):
    """A development PKI (CA, localhost server certificate, partner certificates) for the whole session."""
    from gateway.pki import create_dev_pki

    return create_dev_pki(tmp_path_factory.mktemp("pki"))
