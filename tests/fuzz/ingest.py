"""``make fuzz-ingest``: atheris (coverage-guided, libFuzzer) over the ingest parsers, bounded in time.

Targets, each fed the same fuzzed bytes: type sniffing, TXT decoding + metadata, the DOCX zip/XML
checks and extraction, the PDF text layer (pdfium, in-process: a native crash is a finding too), the
batch manifest (CSV/XLSX), the batch zip check and the bounded JSON of ``metadata``. Any exception that
is not an ``IntegrityError`` (what users see as a clear message) is a finding: the fuzzer stops, writes
the input to ``var/fuzz/crash-*`` and this script exits non-zero.

    python -m tests.fuzz.ingest [--seconds 60]     # the child below runs the fuzzer itself
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

TARGET_NAMES = ("sniff", "txt", "docx", "pdf", "manifest", "zip", "json")


def seeds(folder: Path) -> None:
    """Small valid inputs of each kind, so mutation starts from real structure."""
    folder.mkdir(parents=True, exist_ok=True)
    text = "基于深度学习的图像识别研究\n作者：张三\n摘要：本文研究图像识别。\n关键词：深度学习\n".encode()
    (folder / "txt").write_bytes(b"\x01" + text)
    manifest = "申报人,单位,论文题目,期刊,年份,申报级别,文件名\n张三,医院,论文甲,期刊A,2021,核心,甲.txt\n"
    (folder / "manifest").write_bytes(b"\x04" + manifest.encode())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("甲.txt", text)
    (folder / "zip").write_bytes(b"\x05" + buf.getvalue())
    (folder / "json").write_bytes(b"\x06" + json.dumps({"year": 2021, "self_authors": ["张三"]}).encode())
    try:
        import docx

        d = docx.Document()
        d.add_paragraph("基于深度学习的图像识别研究")
        d.add_paragraph("摘要：本文研究图像识别。")
        out = io.BytesIO()
        d.save(out)
        (folder / "docx").write_bytes(b"\x02" + out.getvalue())
    except ImportError:
        pass
    try:
        from reportlab.pdfgen import canvas

        out = io.BytesIO()
        c = canvas.Canvas(out)
        c.drawString(72, 720, "Deep learning for image recognition. Abstract: we study images.")
        c.save()
        (folder / "pdf").write_bytes(b"\x03" + out.getvalue())
    except ImportError:
        pass


def fuzz_child(
    seconds: int, corpus: Path, crashes: Path, seed: int = 0, runs: int = 0
) -> None:  # pragma: no cover
    import atheris

    with atheris.instrument_imports():
        from integrity.batch.manifest import parse_manifest
        from integrity.batch.zipsafe import validate_archive
        from integrity.errors import IntegrityError
        from integrity.ingest import extract_txt, sniff
        from integrity.ingest.docx import extract_docx
        from integrity.ingest.pdf import extract_pdf
        from integrity.settings import Settings
        from service.boundedjson import BoundedJsonError, loads

    settings = Settings(data_dir=crashes.parent / "data", ocr_enabled=False, max_pages=5)

    def target(kind: int, payload: bytes) -> Any:
        name = TARGET_NAMES[kind % len(TARGET_NAMES)]
        if name == "sniff":
            return sniff(payload, "x.bin")
        if name == "txt":
            return extract_txt(payload)
        if name == "docx":
            return extract_docx(payload, settings)
        if name == "pdf":
            return extract_pdf(payload, settings, defer_ocr=True)
        if name == "manifest":
            return parse_manifest(payload, "m.xlsx" if payload[:2] == b"PK" else "m.csv", settings)
        if name == "zip":
            return validate_archive(io.BytesIO(payload), settings)
        return loads(payload)

    def one_input(data: bytes) -> None:
        if not data:
            return
        with contextlib.suppress(IntegrityError, BoundedJsonError):
            target(data[0], data[1:])

    argv = [
        sys.argv[0],
        str(corpus),
        f"-max_total_time={seconds}",
        "-max_len=65536",
        "-rss_limit_mb=2048",
        "-timeout=30",
        f"-artifact_prefix={crashes}/crash-",
        "-print_final_stats=1",
    ]
    if seed:
        argv.append(f"-seed={seed}")
    if runs:
        argv.append(f"-runs={runs}")
    atheris.Setup(argv, one_input)
    atheris.Fuzz()


def run(seconds: int, seed: int = 0, runs: int = 0) -> dict[str, Any]:
    """Run the fuzzer child for ``seconds`` (or ``runs`` inputs); counts from libFuzzer's final statistics.

    With a ``seed`` and ``runs`` the run is repeatable (CI's short run: a red build must be reproducible);
    ``make fuzz-ingest`` explores with a fresh seed each time. Every input a fuzzer once crashed on
    (``tests/fuzz/crashes``) is part of the seed corpus, so each run replays them first.
    """
    crashes = Path("var") / "fuzz"
    crashes.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="integrity-fuzz-ingest-") as tmp:
        corpus = Path(tmp) / "corpus"
        seeds(corpus)
        for old in (Path(__file__).parent / "crashes").glob("*.bin"):
            (corpus / f"crash-{old.stem}").write_bytes(old.read_bytes())
        cmd = [sys.executable, "-m", "tests.fuzz.ingest", "--child", "--seconds", str(seconds)]
        cmd += ["--seed", str(seed), "--runs", str(runs)]
        cmd += ["--corpus", str(corpus), "--crashes", str(crashes.resolve())]
        env = {**os.environ, "INTEGRITY_OCR_ENABLED": "false"}
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=seconds + 600)
    out = proc.stdout + proc.stderr
    (crashes / "ingest.log").write_text(out, encoding="utf-8")
    runs = re.search(r"stat::number_of_executed_units:\s*(\d+)", out)
    done = re.search(r"Done (\d+) runs", out)
    findings = len(re.findall(r"==\d+== ERROR|Uncaught Python exception", out))
    return {
        "tool": "atheris",
        "seconds": seconds,
        "cases": int(runs.group(1)) if runs else int(done.group(1)) if done else 0,
        "server_errors": findings + (0 if proc.returncode == 0 else int(findings == 0)),
        "exit_code": proc.returncode,
        "log": "var/fuzz/ingest.log",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("FUZZ_INGEST_SECONDS", "60")))
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--crashes", type=Path)
    parser.add_argument("--seed", type=int, default=0, help="libFuzzer seed (0: a fresh one)")
    parser.add_argument("--runs", type=int, default=0, help="stop after this many inputs (0: run by time)")
    args = parser.parse_args()
    if args.child:
        fuzz_child(args.seconds, args.corpus, args.crashes, args.seed, args.runs)
        return 0
    result = run(args.seconds, args.seed, args.runs)
    print(json.dumps(result, ensure_ascii=False))
    if result["exit_code"] != 0:
        print(Path(result["log"]).read_text(encoding="utf-8")[-6000:], file=sys.stderr)
    return 1 if result["server_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
