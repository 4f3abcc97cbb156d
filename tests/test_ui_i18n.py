"""The interface language: English from the shipped cati_en.qm, Chinese as written."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from ui.app import CatiApp
from ui.i18n import install_translator, qm_file, remove_translators
from ui.settings import Preferences, SettingsDialog

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILD_SCRIPT = REPO_ROOT / "scripts" / "build_translations.py"


@pytest.fixture
def translated(qapp):
    """install_translator(language) for one test; the strings as written afterwards."""
    yield lambda language: install_translator(qapp, language)
    remove_translators(qapp)


@pytest.fixture
def login_window(qtbot, sqlite_url):
    """Builds the real login window (after the test has chosen its language)."""
    apps = []

    def build():
        app = CatiApp(sqlite_url)
        apps.append(app)
        qtbot.addWidget(app.login)
        qtbot.waitUntil(app.login.button.isEnabled, timeout=10_000)
        return app.login

    yield build
    for app in apps:
        app.shutdown()


def _cancel_text(qtbot) -> str:
    dialog = SettingsDialog(Preferences(), [])
    qtbot.addWidget(dialog)
    return dialog.findChild(QDialogButtonBox).button(
        QDialogButtonBox.StandardButton.Cancel).text()


def test_the_english_translation_is_shipped_in_the_package():
    assert qm_file("en").is_file()


def test_english_turns_the_login_window_into_english(translated, login_window):
    assert translated("en")
    login = login_window()
    assert login.windowTitle() == "cati — Log in"
    assert login.button.text() == "Log in"


def test_chinese_leaves_the_strings_as_written_and_translates_qt_buttons(
        qtbot, translated, login_window):
    assert translated("zh_CN")
    login = login_window()
    assert login.windowTitle() == "cati — 登录 Log in"
    assert _cancel_text(qtbot) == "取消"


def test_the_settings_dialog_in_english(qtbot, translated):
    assert translated("en")
    dialog = SettingsDialog(Preferences(), [])
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Settings"
    assert dialog.auto_next.specialValueText() == "Off"
    assert _cancel_text(qtbot) == "Cancel"


def test_a_language_without_a_translation_says_so_and_stays_chinese(translated, login_window):
    assert not translated("tlh")
    assert login_window().windowTitle() == "cati — 登录 Log in"


def test_switching_back_to_chinese_removes_the_english(translated, login_window):
    translated("en")
    translated("zh_CN")
    assert login_window().button.text() == "登录 Log in"


def _build_script():
    spec = importlib.util.spec_from_file_location("build_translations", BUILD_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("source", "english"), [
    ("正在登录… Logging in…", "Logging in…"),
    ("cati — 登录 Log in", "cati — Log in"),
    ("无法打开数据库 Cannot open the database: ", "Cannot open the database: "),
    (" 秒 s", " s"),
    ("样本层 Stratum:{stratum}", "Stratum:{stratum}"),
    ("Excel 文件 Excel files", "Excel files"),
    ("cati", "cati"),
    # Not a pair: a hint in brackets, no English at all, or a number after the Chinese.
    ("已拨打 {n} 次 (attempts)", None),
    ("返回 (Esc)", None),
    ("公众安全感和满意度测评 · 电话访问系统", None),
    ("时:分,如 14:30", None),
])
def test_the_english_half_of_a_pair_is_found(source, english):
    assert _build_script().english_half(source) == english


def test_the_committed_translation_is_up_to_date_and_complete():
    result = subprocess.run([sys.executable, str(BUILD_SCRIPT), "--check"], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
