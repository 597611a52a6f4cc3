"""Through the API, a new tenant's empty 比对库 never gives 认可 (issue 13)."""

from __future__ import annotations

from tests.service.helpers import TestClient, auth, new_key, wait_done

PAPER = (
    "原子与分子物理学报　2019年第36卷第2期\n金属表面氢吸附的第一性原理研究\n李明1，赵静2\n"
    "ISSN 1000-0364　CN 51-1199/O4\n"
    + "本研究提出了一种新的计算框架，我们在多个体系上验证了方法的可靠性，并与实验数据进行了比较。"
    * 4
)


def test_new_tenants_empty_corpus_needs_review(client: TestClient) -> None:
    h = auth(new_key(client, "unit", "brand-new")["key"])
    r = client.post(
        "/v1/checks",
        files={"file": ("p.txt", PAPER.encode(), "text/plain")},
        data={"metadata": '{"applicant": "李明", "claimed_level": "core"}'},
        headers=h,
    )
    assert r.status_code == 202, r.text
    body = wait_done(client, r.json()["id"], h)
    assert body["status"] == "done", body
    verdict = body["result"]["verdict"]
    found = {f["code"]: f for f in verdict["findings"]}
    assert "corpus_too_small" in found, verdict["findings"]
    assert "0 篇" in found["corpus_too_small"]["message"]
    assert verdict["accepted"] is False and verdict["status"] == "review"
    assert "认可" not in verdict["summary"]
