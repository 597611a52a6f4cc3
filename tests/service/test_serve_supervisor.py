"""``integrity serve --workers N`` gives uvicorn's supervisor a liveness deadline a loaded host can meet.

Found running the compose stack (issue 12): at load 28 on 2 cores, uvicorn's default 5 s ping deadline killed
every API child process while it was still importing, forever, and the api container never became healthy.
"""

from __future__ import annotations

import uvicorn

from integrity.settings import Settings
from service.cli import _supervisor_options


def test_supervisor_deadline_comes_from_settings_and_reaches_uvicorn() -> None:
    settings = Settings(api_worker_healthcheck_timeout_s=90)
    opts = _supervisor_options(uvicorn, settings)
    assert opts == {"timeout_worker_healthcheck": 90}
    config = uvicorn.Config("service.app:create_app", factory=True, workers=2, **opts)
    assert config.timeout_worker_healthcheck == 90


def test_default_deadline_is_generous() -> None:
    assert Settings().api_worker_healthcheck_timeout_s >= 30
