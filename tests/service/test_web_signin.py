"""A person signs in to the web page with tenant, user name and password in real headless Chromium,
submits a paper (the page echoes the CSRF token), survives a reload and signs out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.service.helpers import abstracts, make_settings
from tests.service.test_web_browser import Server, _shot, browser  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def test_sign_in_with_password_in_chromium(browser: Any, tmp_path: Path, shared_dir: Path) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from service.db import Database
    from service.users import create_user

    settings = make_settings(tmp_path)
    with Server(settings) as server:
        db = Database(settings)
        create_user(db, tenant="pl-hr", username="zhang", password="pass-word-123", role="unit",
                    display_name="人事科张老师")  # fmt: skip
        db.dispose()
        wait = WebDriverWait(browser, 60)
        browser.get(server.base + "/")
        wait.until(ec.visibility_of_element_located((By.ID, "login-username")))
        assert not browser.find_element(By.ID, "api-key").is_displayed()

        def sign_in(password: str) -> None:
            for field, value in (("login-tenant", "pl-hr"), ("login-username", "zhang")):
                browser.find_element(By.ID, field).clear()
                browser.find_element(By.ID, field).send_keys(value)
            browser.find_element(By.ID, "login-password").send_keys(password)
            browser.find_element(By.ID, "user-login-btn").click()

        sign_in("wrong-password")
        wait.until(ec.text_to_be_present_in_element((By.ID, "user-login-error"), "密码错误"))
        _shot(browser, tmp_path, "signin-01-error")
        sign_in("pass-word-123")
        wait.until(ec.visibility_of_element_located((By.ID, "single-form")))
        assert "人事科张老师" in browser.find_element(By.ID, "who").text
        cookies = {c["name"]: c for c in browser.get_cookies()}
        assert cookies["integrity_session"]["httpOnly"] is True
        assert cookies["integrity_session"]["sameSite"] == "Strict"
        assert browser.execute_script("return document.cookie") == ""  # not readable from scripts

        # A POST through the session: the page sends X-CSRF-Token, the check runs.
        paper = tmp_path / "论文.txt"
        paper.write_text("引言\n" + abstracts(shared_dir, 1)[0]["text"] + "\n本文的原创讨论。" * 3, "utf-8")
        browser.find_element(By.ID, "single-file").send_keys(str(paper))
        browser.find_element(By.ID, "single-submit").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "single-status"), "检测完成"))
        _shot(browser, tmp_path, "signin-02-checked")

        browser.refresh()  # the session survives a reload (cookie), the CSRF token is fetched again
        wait.until(ec.visibility_of_element_located((By.ID, "single-form")))
        page = browser.find_element(By.TAG_NAME, "html")
        browser.find_element(By.ID, "logout").click()
        # sign-out reloads the page: wait until the old document is gone, else an element found in it may
        # be detached while it is checked ("Node with given id does not belong to the document", seen in CI)
        wait.until(ec.staleness_of(page))
        wait.until(ec.visibility_of_element_located((By.ID, "login-username")))
        assert "integrity_session" not in {c["name"] for c in browser.get_cookies()}
        assert browser.find_element(By.ID, "login-tenant").get_attribute("value") == "pl-hr"
