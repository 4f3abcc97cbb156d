"""Text from outside shown as it is, never as rich text.

Suggestions, notes, strata, names, answers and error messages reach the widgets from web
respondents, phone lists and other people: Qt would render any of them that looks like HTML
(a label's default format and every tooltip are "auto"), so ``<h1 style=color:red>…`` became a
fake notice, ``<img src="file:///…" width=20000>`` a huge image and ``<a href=…>`` a link.

- ``plain_label`` makes every label of the ui: plain text, whatever it is given later.
- ``plain_tip`` is for tooltips (widgets' and items' ToolTipRole): Qt decides per tooltip
  whether it is rich text (``Qt.mightBeRichText``), so one that would be is escaped.
- ``rich_label`` is for the few labels that mix our own markup with values: each value in
  their text must go through ``html.escape``.
"""

from __future__ import annotations

import datetime as dt
import html

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import QLabel, QWidget

PLAIN_TIP = "<p style='white-space:pre-wrap'>{}</p>"


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A QLabel that shows its text as plain text (Qt's default would take HTML as HTML)."""
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def rich_label(parent: QWidget | None = None) -> QLabel:
    """A QLabel for our own markup: every value put into it must be html.escape'd."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


def plain_tip(text: str | None) -> str:
    """``text`` as a tooltip that Qt shows literally: unchanged unless Qt would take it for
    rich text, then escaped (with its line breaks and spaces kept)."""
    if not text:
        return ""
    if not GuiQt.mightBeRichText(text):
        return text
    return PLAIN_TIP.format(html.escape(text, quote=False))


def local_zone_label(now: dt.datetime | None = None) -> str:
    """The zone of this workstation's clock, for the titles of times shown in it: 北京时间 on a
    workstation at UTC+8, else 本机时间 UTC±hh:mm (times in one window come from different
    zones: the respondent's, the project's, this computer's — each is named)."""
    offset = (now or dt.datetime.now().astimezone()).utcoffset() or dt.timedelta(0)
    if offset == dt.timedelta(hours=8):
        return QCoreApplication.translate("plain", "北京时间")
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return QCoreApplication.translate("plain", "本机时间 UTC{offset}").format(
        offset=f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}")


def zone_name_label(zone: str) -> str:
    """A named IANA zone as a title says it: 北京时间 for China's, else the name."""
    return QCoreApplication.translate("plain", "北京时间") \
        if zone in ("Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "PRC") else zone
