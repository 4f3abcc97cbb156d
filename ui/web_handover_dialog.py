"""Mid-call, the respondent prefers to answer on the web: the personal link and the text message
to send, ready to copy. The case is already released and waits for the web interview."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.plain import plain_label


class WebHandoverDialog(QDialog):
    def __init__(self, url: str, sms: str, expires_text: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("网上填答链接"))
        self.url, self.sms = url, sms
        heading = plain_label(self.tr("把下面的短信发给受访者（复制后粘贴到短信）。链接仅限本人使用一次，"
                                      "有效至 %1；在此之前本号码不再拨打。").replace("%1", expires_text))
        heading.setWordWrap(True)
        self.text = QPlainTextEdit(sms)
        self.text.setReadOnly(True)
        self.copy_sms = QPushButton(self.tr("复制短信"))
        self.copy_link = QPushButton(self.tr("复制链接"))
        self.copy_sms.clicked.connect(lambda: self._copy(self.sms))
        self.copy_link.clicked.connect(lambda: self._copy(self.url))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        self.buttons.accepted.connect(self.accept)
        self.buttons.addButton(self.copy_sms, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.copy_link, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.text)
        layout.addWidget(self.buttons)

    def _copy(self, text: str) -> None:
        QGuiApplication.clipboard().setText(text)
