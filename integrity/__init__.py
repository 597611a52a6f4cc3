"""integrity: checks papers submitted for professional-title review (职称评审).

The core is framework-free. Stages, in order:
ingest → text.normalise → text.tokenise → corpus (fingerprint/index) → match (align, metrics)
→ catalogue → policy → report. ``integrity.check.check_paper`` runs them for one paper.
"""

__version__ = "0.1.0"
