"""The HR clerk's page in real headless Chromium: the single form sends ISSN, CN, 期次 (增刊), 发表日期 and
own papers to exclude; the batch table keeps names on one line; progress counts papers; the history shows
applicant, ratio, verdict and batch. Screenshots go to the tmp dir (and $INTEGRITY_SCREENSHOT_DIR)."""

from __future__ import annotations

import zipfile
from datetime import UTC
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.service.helpers import abstracts, make_settings
from tests.service.test_web_browser import Server, _Api, _shot, browser  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

LINES_JS = """
const r = document.createRange(); r.selectNodeContents(arguments[0]);
const tops = new Set(Array.from(r.getClientRects()).map((x) => Math.round(x.top)));
return tops.size;"""


def test_clerk_form_batch_table_and_history(browser: Any, tmp_path: Path, shared_dir: Path) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from service.db import Database
    from service.models import Job

    settings = make_settings(tmp_path)
    docs = abstracts(shared_dir, 4)
    with Server(settings) as server:
        with _Api(server.base) as api:
            api.post("/v1/corpus/documents", {"documents": docs[:3]}, api.key("reviewer", "web"))
            unit_key = api.key("unit", "web")
        wait = WebDriverWait(browser, 90)
        browser.get(server.base + "/")
        browser.find_element(By.CSS_SELECTOR, "#key-login summary").click()
        browser.find_element(By.ID, "api-key").send_keys(unit_key)
        browser.find_element(By.ID, "login-btn").click()
        wait.until(ec.visibility_of_element_located((By.ID, "single-form")))

        # Single paper copied from docs[0] and docs[1]; docs[0] is the applicant's own paper: excluded.
        paper = tmp_path / "论文.txt"
        paper.write_text(f"引言\n{docs[0]['text']}\n{docs[1]['text']}\n" + "本文的原创讨论。" * 5, "utf-8")
        fill = {
            "single-applicant": "欧阳明",
            "single-issn": "1000-3428",
            "single-cn": "31-1289/TP",
            "single-issue": "2022年第3期",
            "single-self-authors": "欧阳明, Ouyang Ming",
            "single-exclude": docs[0]["id"],
        }
        browser.find_element(By.ID, "single-file").send_keys(str(paper))
        for field, value in fill.items():
            browser.find_element(By.ID, field).send_keys(value)
        browser.find_element(By.ID, "single-supplement").click()
        browser.execute_script(
            "arguments[0].value = '2022-06-15'", browser.find_element(By.ID, "single-published-on")
        )
        browser.find_element(By.ID, "single-submit").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "single-status"), "检测完成"))
        _shot(browser, tmp_path, "clerk-01-single")
        db = Database(settings)
        with db.session() as s:
            job = s.query(Job).filter(Job.kind == "check").one()
            meta, result = job.params["metadata"], job.result
        db.dispose()
        assert meta["issn"] == "1000-3428" and meta["cn"] == "31-1289/TP"
        assert meta["issue"] == "2022年第3期（增刊）" and meta["published_on"] == "2022-06-15"
        assert meta["self_authors"] == ["欧阳明", "Ouyang Ming"] and meta["exclude_doc_ids"] == [
            docs[0]["id"]
        ]
        sim = result["similarity"]
        own = {src["doc_id"]: src["is_self"] for src in sim["sources"]}
        assert own == {docs[0]["id"]: True, docs[1]["id"]: False}  # 去除本人文献: the excluded paper
        assert sim["copy_ratio_excluding_self"] < sim["total_copy_ratio"]
        assert "增刊" in " ".join(f["message"] for f in result["verdict"]["findings"])

        # A batch with long titles and long cross-check notes: names stay on one line.
        z = tmp_path / "papers.zip"
        with zipfile.ZipFile(z, "w") as zf:
            zf.writestr("甲.txt", paper.read_bytes())
            zf.writestr("乙.txt", paper.read_bytes())
            zf.writestr("丙.txt", ("结论\n" + docs[2]["text"] + "\n另有原创讨论。" * 3).encode())
            zf.writestr("丁-忘了列入清单.txt", paper.read_bytes())
        manifest = tmp_path / "清单.csv"
        title = "基于多中心随机对照试验的慢性病社区护理质量管理模式构建与效果评价研究"
        manifest.write_text(
            "申报人,论文题目,文件名\n"
            f"欧阳明,{title},甲.txt\n司马相如,{title}（二）,乙.txt\n诸葛亮,{title}（三）,丙.txt\n",
            "utf-8",
        )
        browser.find_element(By.CSS_SELECTOR, "[data-tab=batch]").click()
        browser.find_element(By.ID, "batch-zip").send_keys(str(z))
        browser.find_element(By.ID, "batch-manifest").send_keys(str(manifest))
        browser.find_element(By.ID, "batch-submit").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "batch-status"), "批量筛查完成"))
        cells = browser.find_elements(By.CSS_SELECTOR, "#batch-table tbody tr td:nth-child(2)")
        assert [c.text for c in cells] == ["欧阳明", "司马相如", "诸葛亮"]
        for c in cells + browser.find_elements(By.CSS_SELECTOR, "#batch-table thead th"):
            assert browser.execute_script(LINES_JS, c) == 1, f"{c.text!r} wraps"
        assert "交叉比对" in browser.find_element(By.ID, "batch-table").text
        unlisted = browser.find_element(By.ID, "batch-unlisted").text
        assert "1 个文件不在清单中" in unlisted and "丁-忘了列入清单.txt" in unlisted
        _shot(browser, tmp_path, "clerk-02-batch-table")

        # History: applicant, ratio, verdict, batch.
        browser.find_element(By.CSS_SELECTOR, "[data-tab=history]").click()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#history-table tbody tr")) == 4)
        rows = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#history-table tbody tr")]
        assert any("欧阳明" in r and "%" in r and "第 1 行" not in r for r in rows)  # the single check
        batch_rows = [r for r in rows if " 第 " in r and " 行" in r]
        assert len(batch_rows) == 3 and any("司马相如" in r for r in batch_rows)
        assert all(("认定" in r or "不予" in r) for r in rows)
        for c in browser.find_elements(By.CSS_SELECTOR, "#history-table tbody td:nth-child(2)"):
            assert browser.execute_script(LINES_JS, c) <= 1
        # times in INTEGRITY_TIMEZONE (Asia/Shanghai by default), not the UTC the API stores
        with db.session() as s:
            created = s.query(Job).filter(Job.kind == "check").order_by(Job.created_at).first().created_at
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        beijing = created.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S")
        cells = browser.find_elements(By.CSS_SELECTOR, "#history-table tbody td:first-child")
        shown = [c.text for c in cells]
        assert beijing in shown, (beijing, shown)
        _shot(browser, tmp_path, "clerk-03-history")
