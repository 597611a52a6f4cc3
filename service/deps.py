"""Shared FastAPI dependencies: the app's settings, database and job queue (set in ``create_app``)."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from integrity.settings import Settings
from service.db import Database


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_queue(request: Request) -> Any:
    return request.app.state.queue


def jsonable(obj: Any) -> Any:
    """Turn core objects (dataclasses with ``to_dict``, lists, dicts) into JSON-ready values."""
    import dataclasses

    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, dict):
        return {k: jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    return obj
