"""The console's listening tab (录音抽查): draw a share of every interviewer's recorded completes,
play one recording beside the interview's answers and timings, score it per criterion (1–5)
with a note, or judge it invalid (the interview is voided and its case reopened), and the
figures per interviewer.

The panel is bound to a cati.services.qc.QcService (or the backend's guarded one), a
TaskRunner and the signed-in user's id; every call runs on the worker, one at a time (the view
reads each recording to check it). Playback is QtMultimedia's QMediaPlayer on the file the
service checked; a recording that is missing or changed is said in its row and cannot be
scored. A refusal shows as one line under the tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.plain import plain_label
from ui.tasks import TaskRunner, error_text

ERROR_STYLE = "color: #b00020;"
VERDICT_COLOURS = {"valid": QColor("#d7f0d8"), "invalid": QColor("#f8d0d0")}
CRITERIA = ("read", "leading", "coding", "polite")  # cati.services.qc.CRITERION_KEYS


class QcPanel(QWidget):
    changed = Signal()  # a score voided an interview (the sample and the audit log changed)

    def __init__(self, service: Any, tasks: TaskRunner, project_id: int, user_id: int | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.tasks = service, tasks
        self.project_id, self.user_id = project_id, user_id
        self.busy = False
        self.view: Any = None
        self.last_score: Any = None
        self.rate = QLineEdit("5%")
        self.rate.setMaximumWidth(80)
        self.rate.setToolTip(self.tr("抽取比例,如 5% 或 0.05"))
        self.draw_button = QPushButton(self.tr("抽取"))
        self.refresh_button = QPushButton(self.tr("刷新"))
        self.play_button = QPushButton(self.tr("播放"))
        self.stop_button = QPushButton(self.tr("停止"))
        self.save_button = QPushButton(self.tr("保存评分"))
        self.message = plain_label()
        self.message.setWordWrap(True)
        self.list = self._table([self.tr("访问员"), self.tr("访问编号"), self.tr("录音时长"),
                                 self.tr("录音"), self.tr("结论"), self.tr("评分")])
        self.answers = self._table([self.tr("问题"), self.tr("回答")])
        self.answers.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.figures = self._table([self.tr("访问员"), self.tr("有录音的成功访问"),
                                    self.tr("已抽取"), self.tr("已评分"), self.tr("照本宣读"),
                                    self.tr("无诱导"), self.tr("编码正确"), self.tr("礼貌"),
                                    self.tr("无效")])
        self.scores = {key: self._score_box() for key in CRITERIA}
        self.note = QLineEdit()
        self.invalid = QCheckBox(self.tr("判定无效(作废该访问并重新开放号码)"))
        self.player: Any = None  # made on the first play: no sound system is opened before
        self._lay_out()
        self.draw_button.clicked.connect(lambda _checked=False: self.draw())
        self.refresh_button.clicked.connect(lambda _checked=False: self.refresh())
        self.play_button.clicked.connect(lambda _checked=False: self.play())
        self.stop_button.clicked.connect(lambda _checked=False: self.stop())
        self.save_button.clicked.connect(lambda _checked=False: self.save())
        self.list.itemSelectionChanged.connect(self._selected)
        self._enable_scoring(False)

    def _score_box(self) -> QSpinBox:
        box = QSpinBox()
        box.setRange(1, 5)
        box.setValue(5)
        return box

    def _table(self, headers: list[str]) -> QTableWidget:
        table = QTableWidget(0, len(headers))
        table.setHorizontalHeaderLabels(headers)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        return table

    def _lay_out(self) -> None:
        row = QHBoxLayout()
        for widget in (plain_label(self.tr("抽取比例")), self.rate, self.draw_button,
                       self.refresh_button):
            row.addWidget(widget)
        row.addStretch(1)
        scoring = QWidget()
        form = QFormLayout(scoring)
        playback = QHBoxLayout()
        playback.addWidget(self.play_button)
        playback.addWidget(self.stop_button)
        playback.addStretch(1)
        form.addRow(playback)
        labels = {"read": self.tr("照本宣读"), "leading": self.tr("无诱导(5 为完全没有)"),
                  "coding": self.tr("编码正确"), "polite": self.tr("礼貌")}
        for key in CRITERIA:
            form.addRow(labels[key], self.scores[key])
        form.addRow(self.tr("备注"), self.note)
        form.addRow(self.invalid)
        form.addRow(self.save_button)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(plain_label(self.tr("访问的回答与时长")))
        side_layout.addWidget(self.answers, 1)
        side_layout.addWidget(scoring)
        top = QSplitter(Qt.Orientation.Horizontal)
        lists = QWidget()
        lists_layout = QVBoxLayout(lists)
        lists_layout.setContentsMargins(0, 0, 0, 0)
        lists_layout.addWidget(plain_label(self.tr("抽中的访问")))
        lists_layout.addWidget(self.list)
        top.addWidget(lists)
        top.addWidget(side)
        figures = QWidget()
        figures_layout = QVBoxLayout(figures)
        figures_layout.setContentsMargins(0, 0, 0, 0)
        figures_layout.addWidget(plain_label(self.tr("按访问员统计")))
        figures_layout.addWidget(self.figures)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(figures)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(split, 1)
        layout.addWidget(self.message)

    # -- work on the worker -------------------------------------------------------------------

    def _run(self, work: Callable[[], Any], on_success: Callable[[Any], None]) -> None:
        self.busy = True
        for button in (self.draw_button, self.refresh_button, self.save_button):
            button.setEnabled(False)

        def succeeded(result: Any) -> None:
            self._idle()
            on_success(result)

        def failed(error: BaseException) -> None:
            self._idle()
            self.message.setStyleSheet(ERROR_STYLE)
            self.message.setText(error_text(error))

        self.tasks.run(work, succeeded, failed)

    def _idle(self) -> None:
        self.busy = False
        self.draw_button.setEnabled(True)
        self.refresh_button.setEnabled(True)
        self._enable_scoring(self.current() is not None)

    def refresh(self) -> None:
        service, project_id, user_id = self.service, self.project_id, self.user_id
        self._run(lambda: service.view(project_id, user_id=user_id), self._show)

    def draw(self) -> None:
        if self.busy:
            return
        service, project_id, user_id = self.service, self.project_id, self.user_id
        rate = self.rate.text().strip()

        def work() -> tuple[Any, Any]:
            drawn = service.draw(project_id, rate, user_id=user_id)
            return drawn, service.view(project_id, user_id=user_id)

        def done(result: tuple[Any, Any]) -> None:
            drawn, view = result
            self._show(view)
            self.message.setText(self.tr("抽取了 {n} 个有录音的成功访问").format(n=drawn.drawn))

        self._run(work, done)

    def save(self) -> None:
        review = self.current()
        if self.busy or review is None:
            return
        service, project_id, user_id = self.service, self.project_id, self.user_id
        scores = {key: box.value() for key, box in self.scores.items()}
        note, invalid = self.note.text().strip(), self.invalid.isChecked()

        def work() -> tuple[Any, Any]:
            scored = service.score(review.id, scores, note=note, invalid=invalid,
                                   user_id=user_id)
            return scored, service.view(project_id, user_id=user_id)

        def done(result: tuple[Any, Any]) -> None:
            scored, view = result
            self.last_score = scored
            self.stop()
            self._show(view)
            self.message.setText(self.tr("已评分:无效,该访问已作废") if scored.voided
                                 else self.tr("已评分"))
            if scored.voided:
                self.changed.emit()

        self._run(work, done)

    def play(self) -> None:
        review = self.current()
        if review is None or review.recording_check != "ok":
            return
        if self.player is None:
            from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

            self.player = QMediaPlayer(self)
            self.audio = QAudioOutput(self)
            self.player.setAudioOutput(self.audio)
        self.player.setSource(QUrl.fromLocalFile(review.recording.path))
        self.player.play()

    def stop(self) -> None:
        if self.player is not None:
            self.player.stop()

    # -- showing ------------------------------------------------------------------------------

    def current(self) -> Any:
        rows = self.list.selectionModel().selectedRows() if self.view is not None else []
        if not rows:
            return None
        index = rows[0].row()
        return self.view.reviews[index] if index < len(self.view.reviews) else None

    def _enable_scoring(self, on: bool) -> None:
        review = self.current() if on else None
        can = review is not None and review.verdict is None and review.recording_check == "ok"
        for widget in (*self.scores.values(), self.note, self.invalid, self.save_button):
            widget.setEnabled(can and not self.busy)
        self.play_button.setEnabled(review is not None and review.recording_check == "ok")

    def _selected(self) -> None:
        self.stop()
        review = self.current()
        self._enable_scoring(review is not None)
        self.answers.setRowCount(0)
        if review is None:
            return
        for key, box in self.scores.items():
            box.setValue(int(review.scores.get(key, 5)))
        self.note.setText(review.note)
        self.invalid.setChecked(review.verdict == "invalid")
        service, user_id = self.service, self.user_id
        self.tasks.run(lambda: (review.id, service.answers(review.id, user_id=user_id)),
                       self._show_answers, lambda error: self.message.setText(error_text(error)))

    def _show_answers(self, result: tuple[int, Any]) -> None:
        review_id, lines = result
        review = self.current()
        if review is None or review.id != review_id:
            return  # another row was chosen meanwhile
        self.answers.setRowCount(len(lines))
        for r, (question, answer) in enumerate(lines):
            self.answers.setItem(r, 0, QTableWidgetItem(question))
            self.answers.setItem(r, 1, QTableWidgetItem(answer))

    def _show(self, view: Any) -> None:
        selected = self.current()
        self.view = view
        self.message.setStyleSheet("")
        self.message.setText("")
        checks = {"ok": self.tr("正常"), "missing": self.tr("录音文件不存在"),
                  "changed": self.tr("录音文件已被改动")}
        verdicts = {"valid": self.tr("有效"), "invalid": self.tr("无效"), None: self.tr("待评分")}
        self.list.blockSignals(True)
        self.list.setRowCount(len(view.reviews))
        for r, review in enumerate(view.reviews):
            scores = " ".join(str(review.scores[key]) for key in CRITERIA
                              if key in review.scores)
            values = [review.interviewer, str(review.interview_id),
                      f"{review.recording.duration_s:.1f}", checks.get(review.recording_check,
                                                                      review.recording_check),
                      verdicts.get(review.verdict, review.verdict), scores]
            colour = VERDICT_COLOURS.get(review.verdict or "")
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                if colour is not None:
                    item.setBackground(QBrush(colour))
                if c == 3 and review.recording_check != "ok":
                    item.setForeground(QBrush(QColor("#b00020")))
                self.list.setItem(r, c, item)
        self.list.blockSignals(False)
        if selected is not None:
            for r, review in enumerate(view.reviews):
                if review.id == selected.id:
                    self.list.selectRow(r)
        self.figures.setRowCount(len(view.figures))
        for r, figure in enumerate(view.figures):
            means = ["" if figure.means[key] is None else f"{figure.means[key]:.2f}"
                     for key in CRITERIA]
            values = [figure.interviewer, str(figure.recorded), str(figure.drawn),
                      str(figure.scored), *means, str(figure.invalid)]
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                if c == 8 and figure.invalid:
                    item.setForeground(QBrush(QColor("#b00020")))
                self.figures.setItem(r, c, item)
        self._enable_scoring(self.current() is not None)
