"""The web page in real headless Chromium (Debian chromium + chromedriver, via Selenium): sign in, upload a
paper, read its report, download the PDF, run a batch with progress and download the XLSX. Screenshots of
each step are written to the test's tmp dir (and to $INTEGRITY_SCREENSHOT_DIR when set)."""

from __future__ import annotations

import io
import os
import shutil
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from integrity.settings import Settings
from tests.conftest import require
from tests.service.helpers import ADMIN_KEY, abstracts, auth, free_port, make_settings

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


class Server:
    """The real app under uvicorn in a thread, on a free port."""

    def __init__(self, settings: Settings):
        import uvicorn

        from service.app import create_app

        self.port = free_port()
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        import httpx

        self.thread.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("server did not start")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    require(Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file(), "Debian chromium + chromedriver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1280,1000",
        "--lang=zh-CN",
    ):
        opts.add_argument(flag)
    opts.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.downloads = downloads  # type: ignore[attr-defined]
    try:
        yield driver
    finally:
        driver.quit()


def _shot(driver: Any, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    assert driver.save_screenshot(str(path)), f"screenshot {name} failed"
    assert path.stat().st_size > 5000
    extra = os.environ.get("INTEGRITY_SCREENSHOT_DIR")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(extra) / path.name)
    return path


def _wait_file(folder: Path, suffix: str, timeout: float = 30) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.glob(f"*{suffix}") if p.stat().st_size > 0]
        if done:
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no {suffix} downloaded: {list(folder.iterdir())}")


def test_web_page_single_and_batch(browser: Any, tmp_path: Path, shared_dir: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    settings = make_settings(tmp_path)
    docs = abstracts(shared_dir, 4)
    with Server(settings) as server:
        with _Api(server.base) as api:
            reviewer = api.key("reviewer", "web")
            api.post("/v1/corpus/documents", {"documents": docs[:3]}, reviewer)
            unit_key = api.key("unit", "web")

        paper = tmp_path / "论文.txt"
        paper.write_text(
            "引言\n" + docs[0]["text"] + "\n" + "本文提出新的护理质量管理方法并给出了实验验证。" * 3, "utf-8"
        )
        wait = WebDriverWait(browser, 60)
        browser.get(server.base + "/")
        wait.until(ec.visibility_of_element_located((By.ID, "login-username")))
        assert browser.title == "integrity 论文核查"
        browser.find_element(By.CSS_SELECTOR, "#key-login summary").click()  # API keys: folded away
        wait.until(ec.visibility_of_element_located((By.ID, "api-key")))

        # A wrong key is refused with a Chinese message.
        browser.find_element(By.ID, "api-key").send_keys("ik_wrong_key")
        browser.find_element(By.ID, "login-btn").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "login-error"), "无效"))
        _shot(browser, tmp_path, "01-login-error")

        browser.find_element(By.ID, "api-key").clear()
        browser.find_element(By.ID, "api-key").send_keys(unit_key)
        browser.find_element(By.ID, "login-btn").click()
        wait.until(ec.visibility_of_element_located((By.ID, "single-form")))

        # One paper: upload, wait, read the report in the page, download the PDF.
        browser.find_element(By.ID, "single-file").send_keys(str(paper))
        browser.find_element(By.ID, "single-applicant").send_keys("张三")
        browser.find_element(By.ID, "single-submit").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "single-status"), "检测完成"))
        ratios = browser.find_element(By.ID, "single-ratios").text
        assert "总文字复制比" in ratios and "%" in ratios
        frame = browser.find_element(By.ID, "report-frame")
        wait.until(lambda d: "总文字复制比" in (frame.get_attribute("srcdoc") or ""))
        browser.switch_to.frame(frame)
        assert browser.find_elements(By.CSS_SELECTOR, "mark.copy"), "copied passages not highlighted"
        assert "文本复制检测报告单" in browser.find_element(By.TAG_NAME, "h1").text
        browser.switch_to.default_content()
        _shot(browser, tmp_path, "02-single-report")
        browser.find_element(By.ID, "single-download-pdf").click()
        pdf = _wait_file(browser.downloads, ".pdf")
        assert pdf.read_bytes().startswith(b"%PDF-")

        # A batch: zip + manifest, progress bar, table, XLSX download.
        z = tmp_path / "papers.zip"
        with zipfile.ZipFile(z, "w") as zf:
            zf.writestr("甲.txt", paper.read_bytes())
            zf.writestr(
                "乙.txt", ("结论\n" + docs[0]["text"] + "\n另有一些原创的讨论内容用于测试。" * 3).encode()
            )
        manifest = tmp_path / "清单.csv"
        manifest.write_text(
            "申报人,论文题目,文件名\n张三,论文甲,甲.txt\n李四,论文乙,乙.txt\n王五,论文丙,丙.txt\n", "utf-8"
        )
        browser.find_element(By.CSS_SELECTOR, "[data-tab=batch]").click()
        browser.find_element(By.ID, "batch-zip").send_keys(str(z))
        browser.find_element(By.ID, "batch-manifest").send_keys(str(manifest))
        browser.find_element(By.ID, "batch-submit").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "batch-status"), "批量筛查完成"))
        assert float(browser.find_element(By.ID, "batch-progress").get_attribute("value") or 0) == 100.0
        rows = browser.find_elements(By.CSS_SELECTOR, "#batch-table tbody tr")
        assert len(rows) == 3
        table = browser.find_element(By.ID, "batch-table").text
        assert "找不到文件" in table and "李四" in table
        assert "互相复制" in table or "共同来源" in table
        _shot(browser, tmp_path, "03-batch-done")
        browser.find_element(By.ID, "batch-download").click()
        xlsx = _wait_file(browser.downloads, ".xlsx")
        from openpyxl import load_workbook

        assert load_workbook(io.BytesIO(xlsx.read_bytes())).sheetnames[0] == "汇总"

        # A batch paper's report opens in the single view.
        browser.find_element(By.CSS_SELECTOR, "#batch-table a.link").click()
        wait.until(lambda d: "文本复制检测报告单" in (frame.get_attribute("srcdoc") or ""))
        _shot(browser, tmp_path, "04-batch-paper-report")

        # The public verify page of the report's code.
        srcdoc = frame.get_attribute("srcdoc") or ""
        code = srcdoc.split('id="report-code">', 1)[1].split("<", 1)[0]
        browser.get(f"{server.base}/verify/{code}")
        assert "报告真实有效" in browser.find_element(By.ID, "verify-result").text
        _shot(browser, tmp_path, "05-verify")


class _Api:
    """Tiny httpx client for setting up keys and documents on the live server."""

    def __init__(self, base: str):
        import httpx

        self.client = httpx.Client(base_url=base, timeout=30)

    def __enter__(self) -> _Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def key(self, role: str, tenant: str) -> str:
        r = self.client.post("/v1/keys", json={"role": role, "tenant": tenant}, headers=auth(ADMIN_KEY))
        assert r.status_code == 201, r.text
        return str(r.json()["key"])

    def post(self, path: str, body: dict[str, Any], key: str) -> None:
        r = self.client.post(path, json=body, headers=auth(key))
        assert r.status_code in (200, 201), r.text
