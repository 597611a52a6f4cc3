"""The end-to-end probe of ``make compose-test``: through the running stack's HTTP API, add the sample corpus,
submit the sample paper as a check, wait for the Celery worker's result and print a summary.

Run by docker/compose-test.sh with ``python docker/compose_smoke.py URL KEY``; exits non-zero with one message
when any step fails. Standard library only, so any Python 3 on the host can run it.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "corpora" / "sample"
FIELDS = ("id", "title", "text", "authors", "year")


def call(method: str, url: str, key: str, body: bytes | None = None, ctype: str = "") -> Any:
    req = urllib.request.Request(url, data=body, method=method, headers={"Authorization": f"Bearer {key}"})
    if ctype:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.load(resp)
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"compose-smoke: {method} {url} -> {exc.code}: {exc.read().decode()[:500]}") from exc


def multipart(name: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def main(base: str, key: str) -> int:
    t0 = time.monotonic()
    docs = []
    for line in (SAMPLE / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            docs.append({k: rec[k] for k in FIELDS if k in rec})
    payload = json.dumps({"documents": docs}).encode()
    added = call("POST", f"{base}/v1/corpus/documents", key, payload, "application/json")
    print(f"compose-smoke: corpus: added {added['added']} documents in {time.monotonic() - t0:.1f} s")
    body, ctype = multipart("file", "paper.txt", (SAMPLE / "paper.txt").read_bytes())
    t1 = time.monotonic()
    sub = call("POST", f"{base}/v1/checks", key, body, ctype)
    print(f"compose-smoke: submitted check {sub['id']} ({sub['status']})")
    deadline = time.monotonic() + 600
    while True:
        job = call("GET", f"{base}/v1/checks/{sub['id']}", key)
        if job["status"] in ("done", "failed"):
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"compose-smoke: check {sub['id']} still {job['status']} after 600 s")
        time.sleep(1)
    if job["status"] != "done":
        raise SystemExit(f"compose-smoke: check failed: {json.dumps(job.get('error'), ensure_ascii=False)}")
    sim = (job.get("result") or {}).get("similarity") or {}
    sources = sim.get("sources") or []
    print(
        f"compose-smoke: check done in {time.monotonic() - t1:.1f} s: "
        f"total_copy_ratio={sim.get('total_copy_ratio')} copied_chars={sim.get('copied_chars')} "
        f"total_chars={sim.get('total_chars')} sources={[s.get('doc_id') for s in sources][:5]}"
    )
    if not sources:
        raise SystemExit("compose-smoke: the sample paper matched no corpus document (expected copies)")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: compose_smoke.py BASE_URL API_KEY")
    sys.exit(main(sys.argv[1].rstrip("/"), sys.argv[2]))
