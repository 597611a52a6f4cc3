"""The integrity HTTP service: FastAPI app, job runner, database, auth — a thin layer over ``integrity``.

Entry point: ``service.app:create_app(settings)``. See ``service/README.md``.
"""
