"""The web page and static files (see ``service.web``); listed in ``ROUTERS`` as ``web``."""

from service.web import router

__all__ = ["router"]
