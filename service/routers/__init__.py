"""API routers. Each module exposes ``router``; ``service.app`` includes every module listed in
``ROUTERS`` that exists (colleagues add ``reports`` and ``batches``)."""

ROUTERS = (
    "health",
    "checks",
    "corpus",
    "corpus_imports",
    "journals",
    "policies",
    "keys",
    "audit",
    "reports",
    "batches",
    "session",
    "web",
)
