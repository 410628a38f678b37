"""Fixtures for the catalogue, design and allocation tests."""

from __future__ import annotations

import pytest
from blueprint_counts import CATALOGUE_DIR

from blueprint_engine.catalogue.entries import Catalogue, load_catalogue


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue(CATALOGUE_DIR)
