"""The web questionnaire end to end in a real headless Chromium on a phone-sized viewport:
Debian's chromium driven through /usr/bin/chromedriver by Selenium (nothing is downloaded; the
apt packages come from scripts/_bootstrap.sh). The server is waitress on a free loopback port,
the store a real SQLite file (the same services on PostgreSQL are tested in test_web_links.py).

One respondent is screened out; another gets a constraint error and corrects it, closes the page
half way, opens the link again and continues, and completes. The store then holds exactly the
answers given (checkboxes and Chinese text included). The phone screenshot for the README is
taken on the way.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select
from test_web_links import (
    COMPLETE,
    SCREEN_OUT,
    WEB_CONTEXT,
    stored_answers,
    web_interviews,
)

from cati.config import QUESTIONNAIRE_DIR, REPO_ROOT
from cati.services.projects import create_project
from cati.storage.db import Database
from cati.storage.models import AnswerEvent
from cati.web.links import point_link
from cati.web.server import BackgroundServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOT = REPO_ROOT / "docs" / "screenshots" / "web_phone.png"
PHONE = {"width": 390, "height": 844, "pixelRatio": 2.0}
# A respondent who feels unsafe: checkboxes, typed Chinese text and the follow-up question too
# (leaving no number for the call-back).
UNSAFE = {**COMPLETE, "safety": "3", "safety_worry": "1 7", "worry_other": "夜里路灯太暗",
          "follow_up_ok": "1", "contact_phone": ""}


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail("chromium and chromium-driver are not installed: run scripts/test, which "
                    "installs them (apt-get install chromium chromium-driver)", pytrace=False)
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never download a browser
    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--lang=zh-CN", "--no-first-run"):
        options.add_argument(argument)
    options.add_experimental_option("mobileEmulation", {"deviceMetrics": PHONE})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def served(sqlite_url):
    database = Database(sqlite_url)
    database.upgrade()
    with database.unit() as session:
        project = create_project(session, "WEB", QUESTIONNAIRE_DIR / "public_safety.xlsx")
    link = point_link(database, "WEB", "东门超市")
    with BackgroundServer(database, project.id, threads=4) as server:
        yield database, server.base_url + link.path
    database.dispose()


def item_on(driver) -> str | None:
    try:
        return driver.find_element(By.NAME, "item").get_attribute("value")
    except NoSuchElementException:
        return None


def press(driver, element_id: str) -> None:
    """Click a submit button and wait for the next page."""
    driver.execute_script("window.catiOldPage = true")  # gone once the next page loaded
    driver.find_element(By.ID, element_id).click()
    WebDriverWait(driver, 15, poll_frequency=0.05,
                  ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script(
            "return window.catiOldPage === undefined && document.readyState === 'complete'"))


def give(driver, value: str) -> None:
    """Put ``value`` into the page's question (radio, checkboxes, text) and press Next."""
    inputs = driver.find_elements(By.NAME, "value")
    if inputs and inputs[0].get_attribute("type") in ("radio", "checkbox"):
        for choice in value.split():
            driver.find_element(By.CSS_SELECTOR, f'input[name="value"][value="{choice}"]').click()
    elif inputs:
        inputs[0].clear()
        inputs[0].send_keys(value)
    press(driver, "next")


def play(driver, answers: dict[str, str], *, until: str | None = None) -> None:
    while (item := item_on(driver)) is not None and item != until:
        if item == "safety":  # the README's picture of a question on a phone
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(SCREENSHOT))
        give(driver, answers.get(item, ""))


def new_respondent(driver, url: str) -> None:
    driver.get(url)
    driver.delete_all_cookies()  # those of the link's page (the cookie's path is /p/)
    driver.get(url)
    press(driver, "start")


def test_respondents_answer_the_shipped_questionnaire_in_chromium(browser, served):
    database, url = served

    # A minor with no adult at home: the screen-out's closing words, code 4.70.
    new_respondent(browser, url)
    play(browser, SCREEN_OUT)
    assert "只访问年满18岁的居民" in browser.find_element(By.ID, "end").text

    # A second respondent (another phone): a constraint error shown and corrected.
    new_respondent(browser, url)
    play(browser, {}, until="age")
    give(browser, "150")
    assert "年龄应在0到120岁之间" in browser.find_element(By.ID, "error").text
    assert browser.find_element(By.ID, "value").get_attribute("value") == "150"
    give(browser, UNSAFE["age"])
    assert item_on(browser) == "residence"

    # Half way, the page is closed; the link opened again continues at the same question.
    play(browser, UNSAFE, until="township")
    first_tab = browser.current_window_handle
    browser.switch_to.new_window("tab")
    fresh_tab = browser.current_window_handle
    browser.switch_to.window(first_tab)
    browser.close()
    browser.switch_to.window(fresh_tab)
    browser.get(url)
    assert item_on(browser) == "township"
    assert "请问您住在哪个乡镇或者街道" in browser.find_element(By.ID, "label").text

    play(browser, UNSAFE)
    assert "问卷已提交" in browser.find_element(By.ID, "end").text
    browser.get(url)  # the same browser again: thanked, not a new questionnaire
    assert browser.find_elements(By.ID, "start") == []

    screened, completed = web_interviews(database)
    assert (screened.state, screened.disposition) == ("screened_out", "4.70")
    assert (completed.state, completed.disposition) == ("complete", "1.1")
    # Exactly the answers given, plus the form's calculation of the respondent's age.
    assert stored_answers(database, screened.id) == {**SCREEN_OUT, **WEB_CONTEXT,
                                                     "resp_age": "15", "has_suggestion": "0"}
    assert stored_answers(database, completed.id) == {**UNSAFE, **WEB_CONTEXT,
                                                      "resp_age": UNSAFE["age"],
                                                      "has_suggestion": "1"}
    with database.unit(immediate=False) as session:
        age_events = session.scalars(select(AnswerEvent.new_value).where(
            AnswerEvent.interview_id == completed.id, AnswerEvent.question == "age")).all()
    assert age_events == [UNSAFE["age"]]  # the refused 150 never reached the store
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
