"""Ingest benchmark: speed (pages/s) per PDF engine and per file type, and text quality per engine.

    python -m bench.ingest [--bench ../shared/bench/dev] [--limit N] [--no-ocr] [--out report.json]

Quality is the share of 8-character shingles (whitespace removed) of ``pdf_source/<case>.txt`` found in the
extraction (recall) and of the extraction found in the source (precision: running headers, page numbers and
column interleaving lower it). Each engine is measured twice: its own plain-text output ("raw") and through
our layout step ("layout": columns, headers, line joins), which is what ``integrity extract`` uses with
pypdfium2. Per file type the whole sandboxed ``extract`` is timed (subprocess start included); DOCX files
are generated from the same sources, the OCR case is one bench page rendered to an image-only PDF.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import statistics
import sys
import tempfile
import time
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from bench.machine import machine

REPO = Path(__file__).resolve().parent.parent
DEFAULT_BENCH = REPO.parent / "shared" / "bench" / "dev"


def machine_and_engines() -> dict[str, Any]:
    """The shared machine description plus the versions of the extraction engines measured."""
    versions: dict[str, str | None] = {}
    for pkg in ("pypdfium2", "pdfplumber", "pdfminer.six", "python-docx", "pytesseract"):
        try:
            versions[pkg] = importlib_metadata.version(pkg)
        except importlib_metadata.PackageNotFoundError:
            versions[pkg] = None
    return {**machine(), "versions": versions}


def shingles(text: str, k: int = 8) -> set[str]:
    t = re.sub(r"\s", "", text)
    return {t[i : i + k] for i in range(len(t) - k + 1)}


def quality(source: str, got: str) -> tuple[float, float]:
    want, have = shingles(source), shingles(got)
    common = len(want & have)
    return common / max(1, len(want)), common / max(1, len(have))


def bench_engines(cases: list[tuple[Path, str]], pages_of: dict[Path, int]) -> list[dict[str, Any]]:
    from integrity.ingest.layout import layout_pages
    from integrity.ingest.pdf import ENGINES, PAGE_READERS, raw_text

    rows = []
    total_pages = sum(pages_of.values())
    for engine in ENGINES:
        for mode in ("raw", "layout"):
            t0 = time.perf_counter()
            recalls, precisions = [], []
            two_col_recalls = []
            for pdf, source in cases:
                data = pdf.read_bytes()
                if mode == "raw":
                    text = raw_text(data, engine)
                else:
                    pages, *_ = PAGE_READERS[engine](data, 10_000)
                    text = layout_pages(pages).text
                r, p = quality(source, text)
                recalls.append(r)
                precisions.append(p)
                if pdf.stem in TWO_COLUMN:
                    two_col_recalls.append(r)
            elapsed = time.perf_counter() - t0
            rows.append(
                {
                    "engine": engine,
                    "mode": mode,
                    "pages_per_s": round(total_pages / elapsed, 1),
                    "recall": round(statistics.mean(recalls), 4),
                    "recall_two_column": round(statistics.mean(two_col_recalls), 4)
                    if two_col_recalls
                    else None,
                    "precision": round(statistics.mean(precisions), 4),
                }
            )
            print(_fmt_engine(rows[-1]), flush=True)
    return rows


TWO_COLUMN: set[str] = set()


def _fmt_engine(r: dict[str, Any]) -> str:
    return (
        f"  {r['engine']:<11} {r['mode']:<7} {r['pages_per_s']:>8.1f} pages/s   recall {r['recall']:.4f}"
        f"   two-column recall {r['recall_two_column'] or 0:.4f}   precision {r['precision']:.4f}"
    )


def bench_file_types(
    cases: list[tuple[Path, str]], pages_of: dict[Path, int], ocr: bool
) -> list[dict[str, Any]]:
    from integrity.ingest import extract
    from integrity.settings import Settings

    settings = Settings(ocr_enabled=False)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        tmpdir = Path(tmp)
        # PDF through the sandbox (what check / corpus add / the service run)
        t0 = time.perf_counter()
        recalls = []
        for pdf, source in cases:
            recalls.append(quality(source, extract(pdf, settings).text)[0])
        elapsed = time.perf_counter() - t0
        n_pages = sum(pages_of.values())
        rows.append(_type_row("pdf", len(cases), n_pages, elapsed, statistics.mean(recalls)))
        # DOCX generated from the same sources (one "page" ≈ 1800 characters for the rate)
        import docx

        docx_files = []
        for pdf, source in cases:
            d = docx.Document()
            for para in source.splitlines():
                d.add_paragraph(para)
            path = tmpdir / f"{pdf.stem}.docx"
            d.save(str(path))
            docx_files.append((path, source))
        t0 = time.perf_counter()
        recalls = [quality(source, extract(path, settings).text)[0] for path, source in docx_files]
        elapsed = time.perf_counter() - t0
        pseudo_pages = sum(max(1, len(s) // 1800) for _, s in docx_files)
        rows.append(_type_row("docx", len(docx_files), pseudo_pages, elapsed, statistics.mean(recalls)))
        # TXT (in-process decode + metadata)
        txt_files = []
        for pdf, source in cases:
            path = tmpdir / f"{pdf.stem}.txt"
            path.write_text(source, encoding="utf-8")
            txt_files.append((path, source))
        t0 = time.perf_counter()
        recalls = [quality(source, extract(path, settings).text)[0] for path, source in txt_files]
        elapsed = time.perf_counter() - t0
        rows.append(_type_row("txt", len(txt_files), pseudo_pages, elapsed, statistics.mean(recalls)))
        if ocr:
            rows.append(_bench_ocr(cases[0][0], cases[0][1], tmpdir))
    for r in rows:
        print(
            f"  {r['type']:<5} {r['files']:>3} files {r['pages']:>4} pages  "
            f"{r['pages_per_s']:>7.1f} pages/s  {r['s_per_file']:.3f} s/file   recall {r['recall']:.4f}",
            flush=True,
        )
    return rows


def _type_row(kind: str, files: int, pages: int, elapsed: float, recall: float) -> dict[str, Any]:
    return {
        "type": kind,
        "files": files,
        "pages": pages,
        "pages_per_s": round(pages / elapsed, 1),
        "s_per_file": round(elapsed / files, 3),
        "recall": round(recall, 4),
    }


def _bench_ocr(pdf: Path, source: str, tmpdir: Path) -> dict[str, Any]:
    """Page 1 of a bench PDF rendered at 200 dpi to an image-only PDF, then OCR'd by ``extract``."""
    import pypdfium2 as pdfium

    from integrity.ingest import extract
    from integrity.settings import Settings

    doc = pdfium.PdfDocument(pdf.read_bytes())
    image = doc[0].render(scale=200 / 72, grayscale=True).to_pil()
    buf = io.BytesIO()
    image.save(buf, "PDF", resolution=200)
    scan = tmpdir / "scan.pdf"
    scan.write_bytes(buf.getvalue())
    t0 = time.perf_counter()
    out = extract(scan, Settings(ocr_enabled=True))
    elapsed = time.perf_counter() - t0
    # precision: OCR text shingles found in the source (recall would count the pages not scanned)
    _, precision = quality(source, out.text)
    row = _type_row("ocr", 1, 1, elapsed, precision)
    row["ocr_confidence"] = out.ocr_confidence
    row["note"] = "recall column = precision of OCR shingles vs source (one page scanned)"
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--bench", type=Path, default=DEFAULT_BENCH)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--no-ocr", action="store_true")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    truth = {}
    with (args.bench / "truth.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                t = json.loads(line)
                truth[t["case_id"]] = t
    pdfs = sorted((args.bench / "cases").glob("*.pdf"))
    if args.limit:
        pdfs = pdfs[: args.limit]
    if not pdfs:
        print(f"no PDF cases under {args.bench}/cases", file=sys.stderr)
        return 2
    TWO_COLUMN.update(p.stem for p in pdfs if truth.get(p.stem, {}).get("two_column"))
    cases = [(p, (args.bench / "pdf_source" / f"{p.stem}.txt").read_text(encoding="utf-8")) for p in pdfs]
    import pypdfium2 as pdfium

    pages_of = {p: len(pdfium.PdfDocument(p.read_bytes())) for p in pdfs}
    m = machine_and_engines()
    print(f"machine: {m['cpu_model']}, {m['nproc']} cores, Python {m['python']}, {m['platform']}")
    print(f"engines: {m['versions']}")
    print(f"cases: {len(pdfs)} PDFs ({len(TWO_COLUMN)} two-column), {sum(pages_of.values())} pages")
    print("PDF engines (in-process, single core):")
    engines = bench_engines(cases, pages_of)
    print("file types (sandboxed extract, subprocess start included):")
    types = bench_file_types(cases, pages_of, ocr=not args.no_ocr)
    report = {"machine": m, "engines": engines, "file_types": types}
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
