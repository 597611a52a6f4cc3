"""Batch screening for review offices: manifest (CSV/XLSX) + folder or zip → checks → XLSX summary.

``run_batch_path`` (CLI) and ``run_batch`` (service, with rows already parsed) return a ``BatchResult``;
``write_summary_xlsx`` turns it into the workbook.
"""

from integrity.batch.manifest import ManifestRow, RowError, parse_manifest, read_manifest
from integrity.batch.runner import BatchResult, CrossFlag, PaperOutcome, run_batch, run_batch_path
from integrity.batch.summary import write_summary_xlsx
from integrity.batch.zipsafe import UnsafeArchive, safe_extract

__all__ = [
    "BatchResult",
    "CrossFlag",
    "ManifestRow",
    "PaperOutcome",
    "RowError",
    "UnsafeArchive",
    "parse_manifest",
    "read_manifest",
    "run_batch",
    "run_batch_path",
    "safe_extract",
    "write_summary_xlsx",
]
