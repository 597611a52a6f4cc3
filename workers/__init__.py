"""Celery workers: ``workers.app`` (the Celery app) and ``workers.tasks`` (thin wrappers over
``service.jobs.execute_job``, the function the in-process runner calls too)."""
