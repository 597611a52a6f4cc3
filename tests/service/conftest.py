"""Fixtures for the service tests: an app on a temporary data dir with a bootstrap admin key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from integrity.settings import Settings
from tests.service.helpers import TestClient, make_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    from service.app import create_app

    with TestClient(create_app(settings)) as c:
        yield c
