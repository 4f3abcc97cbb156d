"""This workstation's preferences, kept in QSettings (never in the database), and their dialog.

Every preference is declared once, as a field of `Preferences` with its QSettings key and range;
load() reads them all, clamping values out of range and falling back to the default for values
that cannot be read.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from PySide6.QtCore import QByteArray, QLocale, QSettings
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QMainWindow,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ui.plain import plain_label
from ui.speech import DEFAULT_RATE, MAX_RATE, MIN_RATE, VoiceInfo

LANGUAGES = {"zh_CN": "中文", "en": "English"}
SOURCE_LANGUAGE = "zh_CN"  # the language the program's own strings are written in


def default_language(locale: QLocale | None = None) -> str:
    """"en" where the system speaks another language; Chinese where it is Chinese or unknown."""
    language = (locale or QLocale.system()).language()
    unsure = (QLocale.Language.C, QLocale.Language.AnyLanguage, QLocale.Language.Chinese)
    return SOURCE_LANGUAGE if language in unsure else "en"


def _option(key: str, default: Any, minimum: int | None = None,
            maximum: int | None = None) -> Any:
    return field(default=default, metadata={"key": key, "range": (minimum, maximum)})


@dataclass(frozen=True)
class Preferences:
    language: str = field(default_factory=default_language, metadata={"key": "ui/language"})
    question_font_pt: int = _option("interview/question_font_pt", 20, 12, 48)
    voice_id: str = _option("speech/voice", "")  # "": a Chinese voice where installed
    speech_rate: int = _option("speech/rate", DEFAULT_RATE, MIN_RATE, MAX_RATE)
    auto_next_seconds: int = _option("interview/auto_next_seconds", 5, 0, 60)  # 0: off
    monitor_refresh_seconds: int = _option("monitor/refresh_seconds", 5, 1, 600)

    @classmethod
    def load(cls, settings: QSettings) -> Preferences:
        """The stored preferences; a missing, unreadable or unknown value gives its default."""
        defaults = cls()
        values: dict[str, Any] = {}
        for option in fields(cls):
            stored = settings.value(option.metadata["key"])
            if stored is not None:
                values[option.name] = _read(option, stored, getattr(defaults, option.name))
        prefs = replace(defaults, **values)
        if prefs.language not in LANGUAGES:
            prefs = replace(prefs, language=defaults.language)
        return prefs

    def save(self, settings: QSettings) -> None:
        for option in fields(self):
            settings.setValue(option.metadata["key"], getattr(self, option.name))
        settings.sync()


def _read(option: Any, stored: Any, default: Any) -> Any:
    if isinstance(default, str):
        return str(stored)
    try:
        number = int(stored)
    except (TypeError, ValueError):
        return default
    minimum, maximum = option.metadata["range"]
    return max(minimum, min(maximum, number))


def _settings(settings: QSettings | None) -> QSettings:
    return settings if settings is not None else QSettings()


def save_geometry(widget: QWidget, key: str, settings: QSettings | None = None) -> None:
    """Remembers where `widget` is and how big (and a main window's toolbars and docks)."""
    store = _settings(settings)
    store.setValue(f"geometry/{key}", widget.saveGeometry())
    if isinstance(widget, QMainWindow):
        store.setValue(f"window_state/{key}", widget.saveState())


def restore_geometry(widget: QWidget, key: str, settings: QSettings | None = None) -> bool:
    """Puts `widget` back where save_geometry() left it; False when nothing was saved."""
    store = _settings(settings)
    geometry = store.value(f"geometry/{key}")
    if not isinstance(geometry, QByteArray) or not widget.restoreGeometry(geometry):
        return False
    state = store.value(f"window_state/{key}")
    if isinstance(widget, QMainWindow) and isinstance(state, QByteArray):
        widget.restoreState(state)
    return True


class SettingsDialog(QDialog):
    """Edits Preferences; `voices` comes from the caller, so opening the dialog is instant."""

    def __init__(self, prefs: Preferences, voices: list[VoiceInfo],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._prefs = prefs
        self.setWindowTitle(self.tr("设置 Settings"))
        self.language = QComboBox()
        for code, name in LANGUAGES.items():
            self.language.addItem(name, code)
        self.language.setCurrentIndex(max(0, self.language.findData(prefs.language)))
        self.font_size = _spin(12, 48, prefs.question_font_pt, " pt")
        self.voice = self._voice_combo(prefs.voice_id, voices)
        self.rate = _spin(MIN_RATE, MAX_RATE, prefs.speech_rate, self.tr(" 字/分 words/min"))
        self.auto_next = _spin(0, 60, prefs.auto_next_seconds, self.tr(" 秒 s"))
        self.auto_next.setSpecialValueText(self.tr("关闭 Off"))
        self.monitor_refresh = _spin(1, 600, prefs.monitor_refresh_seconds, self.tr(" 秒 s"))
        form = QFormLayout()
        form.addRow(self.tr("界面语言 Language"), self.language)
        form.addRow(self.tr("题目字号 Question font size"), self.font_size)
        form.addRow(self.tr("朗读语音 Read-aloud voice"), self.voice)
        form.addRow(self.tr("朗读语速 Read-aloud speed"), self.rate)
        form.addRow(self.tr("自动下一题倒计时 Auto-next countdown"), self.auto_next)
        form.addRow(self.tr("监控刷新间隔 Monitor refresh"), self.monitor_refresh)
        note = plain_label(self.tr("界面语言在重新启动后生效。 The language changes at the next start."))
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def _voice_combo(self, current: str, voices: list[VoiceInfo]) -> QComboBox:
        combo = QComboBox()
        combo.addItem(self.tr("自动（有中文语音时用中文） Automatic (Chinese where installed)"), "")
        for voice in voices:
            languages = ", ".join(voice.languages)
            combo.addItem(f"{voice.name} ({languages})" if languages else voice.name, voice.id)
        if current and combo.findData(current) < 0:  # keep a voice that is not installed here
            combo.addItem(self.tr("{0}（未安装 not installed）").format(current), current)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        return combo

    def preferences(self) -> Preferences:
        """The preferences as edited (whether or not the dialog was accepted)."""
        return replace(
            self._prefs,
            language=self.language.currentData(),
            question_font_pt=self.font_size.value(),
            voice_id=self.voice.currentData(),
            speech_rate=self.rate.value(),
            auto_next_seconds=self.auto_next.value(),
            monitor_refresh_seconds=self.monitor_refresh.value(),
        )


def _spin(minimum: int, maximum: int, value: int, suffix: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(minimum, maximum)
    spin.setValue(value)
    spin.setSuffix(suffix)
    return spin
