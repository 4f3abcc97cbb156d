"""Preferences in an ini-file QSettings: defaults, round trip, bad values, the dialog, geometry."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, QRect, QSettings
from PySide6.QtWidgets import QDialogButtonBox, QMainWindow

from ui.settings import (
    Preferences,
    SettingsDialog,
    default_language,
    restore_geometry,
    save_geometry,
)
from ui.speech import VoiceInfo

VOICES = [
    VoiceInfo("gmw/en", "English (Great Britain)", ("en-gb", "en")),
    VoiceInfo("sit/cmn", "Chinese (Mandarin, latin as English)", ("cmn", "zh-cmn", "zh")),
]


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "cati.ini"), QSettings.Format.IniFormat)


def test_defaults_when_nothing_is_stored(settings):
    prefs = Preferences.load(settings)
    assert prefs == Preferences()
    assert prefs.question_font_pt == 20
    assert prefs.auto_next_seconds == 5
    assert prefs.monitor_refresh_seconds == 5
    assert prefs.voice_id == ""
    assert prefs.language in ("zh_CN", "en")


def test_the_language_defaults_to_chinese_unless_the_system_speaks_another():
    assert default_language(QLocale("zh_CN")) == "zh_CN"
    assert default_language(QLocale("zh_TW")) == "zh_CN"
    assert default_language(QLocale.c()) == "zh_CN"  # unsure: the app is Chinese first
    assert default_language(QLocale("de_DE")) == "en"


def test_round_trip_through_the_ini_file(settings, tmp_path):
    prefs = Preferences(language="en", question_font_pt=32, voice_id="sit/cmn", speech_rate=220,
                        auto_next_seconds=0, monitor_refresh_seconds=30)
    prefs.save(settings)
    reopened = QSettings(str(tmp_path / "cati.ini"), QSettings.Format.IniFormat)
    assert Preferences.load(reopened) == prefs
    assert "question_font_pt=32" in (tmp_path / "cati.ini").read_text()


def test_values_out_of_range_are_clamped_and_garbage_gives_the_default(settings):
    settings.setValue("interview/question_font_pt", 200)
    settings.setValue("interview/auto_next_seconds", -3)
    settings.setValue("monitor/refresh_seconds", "soon")
    settings.setValue("ui/language", "tlh")
    prefs = Preferences.load(settings)
    assert prefs.question_font_pt == 48
    assert prefs.auto_next_seconds == 0
    assert prefs.monitor_refresh_seconds == 5
    assert prefs.language == Preferences().language


def test_the_dialog_shows_the_preferences_and_returns_the_edits(qtbot):
    prefs = Preferences(language="zh_CN", question_font_pt=20, voice_id="")
    dialog = SettingsDialog(prefs, VOICES)
    qtbot.addWidget(dialog)
    assert dialog.voice.currentData() == ""  # automatic
    assert [dialog.voice.itemData(i) for i in range(dialog.voice.count())] == [
        "", "gmw/en", "sit/cmn"]
    dialog.language.setCurrentIndex(dialog.language.findData("en"))
    dialog.font_size.setValue(28)
    dialog.voice.setCurrentIndex(dialog.voice.findData("sit/cmn"))
    dialog.rate.setValue(150)
    dialog.auto_next.setValue(0)
    dialog.monitor_refresh.setValue(15)
    with qtbot.waitSignal(dialog.accepted):
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.preferences() == Preferences(
        language="en", question_font_pt=28, voice_id="sit/cmn", speech_rate=150,
        auto_next_seconds=0, monitor_refresh_seconds=15)
    assert dialog.auto_next.text() == dialog.auto_next.specialValueText()  # "关闭 Off"


def test_the_dialog_keeps_a_voice_not_installed_here_and_enforces_ranges(qtbot):
    dialog = SettingsDialog(Preferences(voice_id="mb/mb-cn1"), VOICES)
    qtbot.addWidget(dialog)
    assert dialog.voice.currentData() == "mb/mb-cn1"
    dialog.font_size.setValue(99)
    assert dialog.preferences().question_font_pt == 48
    assert dialog.preferences().voice_id == "mb/mb-cn1"


def test_window_geometry_is_restored(qtbot, settings):
    window = QMainWindow()
    qtbot.addWidget(window)
    assert not restore_geometry(window, "main", settings)
    window.setGeometry(QRect(40, 50, 640, 420))
    save_geometry(window, "main", settings)
    again = QMainWindow()
    qtbot.addWidget(again)
    assert restore_geometry(again, "main", settings)
    assert again.size() == window.size()
