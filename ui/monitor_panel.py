"""The live monitor: today and the whole project at a glance, refreshed every few seconds.

A refresh is one snapshot (cati.services.monitor) read on the worker thread; while one is in
flight the next tick is skipped, so a slow database never queues refreshes or freezes the
window. Unusual figures are marked ⚠ with the reason in the tooltip.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QValueAxis,
)
from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cati.services.monitor import Snapshot
from ui.plain import plain_label, plain_tip, rich_label, zone_name_label
from ui.tasks import TaskRunner, error_text

CASE_STATES = {"fresh": "未拨", "scheduled": "待重拨", "resume": "待续访", "appointment": "已预约",
               "closed": "已结束"}
STATE_NAMES = {"ready": "就绪", "paused": "暂停", "call": "通话中", "interviewing": "访问中",
               "offline": "离线"}
PAUSE_NAMES = {"break": "休息", "training": "培训", "meeting": "会议", "other": "其他"}
FLAG_NAMES = {"short_interviews": "访问时长远低于中位数",
              "uniform_answers": "回答明显比其他访问员一致"}
TOTALS = (("calls", QT_TRANSLATE_NOOP("MonitorPanel", "拨打")),
          ("contacts", QT_TRANSLATE_NOOP("MonitorPanel", "接通")),
          ("completes", QT_TRANSLATE_NOOP("MonitorPanel", "完成")),
          ("screen_outs", QT_TRANSLATE_NOOP("MonitorPanel", "筛除")),
          ("refusals", QT_TRANSLATE_NOOP("MonitorPanel", "拒访")))
RATES = ("RR1", "RR3", "COOP1", "REF1", "CON1")


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def count_axis(largest: int, most_steps: int = 5) -> tuple[int, int]:
    """(top, tick count) of an axis of counts from 0 in whole steps of 1, 2 or 5 × 10ⁿ, at most
    ``most_steps`` of them, so every label is a different whole number (QValueAxis's nice
    numbers gave 0, 49, 98, 147, 197 — or 0, 0, 0, 1 for small counts)."""
    largest = max(1, largest)
    step = 1
    while -(-largest // step) > most_steps:  # ceiling division
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2  # 1 2 5 10 20 50 …
    steps = -(-largest // step)
    return steps * step, steps + 1


def duration(since: dt.datetime | None, now: dt.datetime) -> str:
    if since is None:
        return ""
    seconds = max(0, int((now - since).total_seconds()))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _item(text: object, *, align_right: bool = False, tip: str = "") -> QTableWidgetItem:
    item = QTableWidgetItem("" if text is None else str(text))
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if align_right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if tip:
        item.setToolTip(plain_tip(tip))
    return item


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # the name takes the room
    table.verticalHeader().setDefaultSectionSize(22)
    return table


def local_date(shot: Snapshot):
    return shot.at.astimezone(ZoneInfo(shot.zone)).date()


class MonitorPanel(QWidget):
    """``load`` reads one snapshot (it runs on the worker); ``interval_s`` between refreshes."""

    refreshed = Signal(object)  # the Snapshot now on screen

    def __init__(self, load: Callable[[], Snapshot], tasks: TaskRunner, *,
                 interval_s: int = 5, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._load, self._tasks = load, tasks
        self.snapshot: Snapshot | None = None
        self.in_flight = False
        self.status = plain_label(self.tr("正在读取…"))
        self.modes = plain_label("")  # today's interviews by mode: web beside phone
        self.modes.setObjectName("modes")
        self.totals = {scope: self._totals_box(scope) for scope in ("today", "overall")}
        self.chart = QChart()
        self.chart.setTitle(self.tr("今日每小时拨打与完成"))
        self.chart_view = QChartView(self.chart)
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(260)
        self.chart.legend().setAlignment(Qt.AlignmentFlag.AlignTop)  # the hours need the width
        self.strata = _table([self.tr("样本层"), self.tr("完成 / 配额"), self.tr("进度"),
                              self.tr("剩余号码"), self.tr("已拨号码"), self.tr("能否完成")])
        self.interviewers = _table([self.tr("访问员"), self.tr("状态"), self.tr("持续"),
                                    self.tr("号码"), self.tr("拨打/小时"), self.tr("完成"),
                                    self.tr("拒访率"), self.tr("平均时长(分)"), self.tr("提示"),
                                    self.tr("录音抽查")])
        self.queue = _table([self.tr("状态 / 结果"), self.tr("号码数")])
        self.appointments = _table([self.tr("预约时间"), self.tr("号码"), self.tr("硬约")])
        self._build()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.set_interval(interval_s)

    def _totals_box(self, scope: str) -> dict[str, QLabel]:
        labels = {name: plain_label("—") for name in (*[n for n, _ in TOTALS], *RATES, "e")}
        labels["completes"] = rich_label()  # with the split by mode in small (escaped)
        labels["completes"].setText("—")
        return labels

    def _build(self) -> None:
        top = QHBoxLayout()
        for scope, title in (("today", self.tr("今日")), ("overall", self.tr("整个项目"))):
            box = QGroupBox(title)
            grid = QGridLayout(box)
            labels = self.totals[scope]
            for column, (name, text) in enumerate(TOTALS):
                grid.addWidget(plain_label(self.tr(text)), 0, column)
                labels[name].setObjectName(f"{scope}_{name}")
                grid.addWidget(labels[name], 1, column)
            for name, _ in TOTALS:
                font = labels[name].font()
                font.setPointSize(font.pointSize() + 4)
                font.setBold(True)
                labels[name].setFont(font)
            for column, name in enumerate((*RATES, "e")):
                grid.addWidget(plain_label(name), 2, column)
                labels[name].setObjectName(f"{scope}_{name}")
                grid.addWidget(labels[name], 3, column)
            top.addWidget(box)
        upper = QWidget()
        upper_layout = QHBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.chart_view, 3)
        upper_layout.addWidget(self.strata, 4)
        lower = QWidget()
        lower_layout = QHBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.interviewers, 5)
        side = QVBoxLayout()
        side.addWidget(plain_label(self.tr("队列")))
        side.addWidget(self.queue)
        side.addWidget(plain_label(self.tr("一小时内到期的预约")))
        side.addWidget(self.appointments)
        lower_layout.addLayout(side, 2)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(upper)
        split.addWidget(lower)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.modes)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)

    # -- refreshing --------------------------------------------------------------------------
    def set_interval(self, seconds: int) -> None:
        self.timer.setInterval(max(1, seconds) * 1000)
        if not self.timer.isActive():
            self.timer.start()

    def refresh(self) -> None:
        """Read a new snapshot unless one is still being read."""
        if self.in_flight:
            return
        self.in_flight = True
        self._tasks.run(self._load, self._show, self._failed)

    def _failed(self, error: BaseException) -> None:
        self.in_flight = False
        self.status.setText(self.tr("刷新失败：") + error_text(error))

    def _show(self, shot: Snapshot) -> None:
        self.in_flight = False
        self.snapshot = shot
        for scope, totals in (("today", shot.today), ("overall", shot.overall)):
            labels = self.totals[scope]
            for name, _ in TOTALS:
                labels[name].setText(str(getattr(totals, name)))
            split = self._completes_split(totals.completes_by_mode)
            labels["completes"].setToolTip(plain_tip(split))
            if set(totals.completes_by_mode) - {"phone"}:  # web or field ones among them
                labels["completes"].setText(
                    f"{totals.completes}<span style='font-size:small; font-weight:normal'>"
                    f" （{html.escape(split)}）</span>")
            for name in RATES:
                labels[name].setText(percent(totals.rates.get(name)))
            e = totals.rates.get("e")
            labels["e"].setText("—" if e is None else f"{e:.3f}")
        self._show_chart(shot)
        self._show_strata(shot)
        self._show_interviewers(shot)
        self._show_queue(shot)
        self.modes.setText(self._modes_text(shot))
        local = shot.at.astimezone(ZoneInfo(shot.zone))
        self.status.setText(self.tr("更新于 ") + local.strftime("%H:%M:%S")
                            + f" ({zone_name_label(shot.zone)})" + self._calling_text(shot))
        self.refreshed.emit(shot)

    def _calling_text(self, shot: Snapshot) -> str:
        """Why no calls go out, when that is so: paused, or outside calling hours until when."""
        if shot.status == "paused":
            return "  ·  " + self.tr("项目已暂停，不发放号码")
        if shot.status == "closed":
            return "  ·  " + self.tr("项目已结束")
        if shot.calling_opens_at is not None:
            opens = shot.calling_opens_at.astimezone(ZoneInfo(shot.zone))
            when = opens.strftime("%H:%M") if opens.date() == local_date(shot) else \
                opens.strftime("%m-%d %H:%M")
            return "  ·  " + self.tr("现在不在拨打时段，{at} 开始拨打").format(at=when)
        return ""

    def _mode_names(self) -> dict[str, str]:
        return {"phone": self.tr("电话"), "field": self.tr("实地"), "web": self.tr("网上自填")}

    def _completes_split(self, by_mode: dict[str, int]) -> str:
        """The completes by mode: "电话 48 · 网上自填 3"."""
        names = self._mode_names()
        return " · ".join(f"{names.get(mode, mode)} {n}" for mode, n in by_mode.items())

    def _modes_text(self, shot: Snapshot) -> str:
        """Today's interviews by mode (phone, field, web self-completion) and how they ended."""
        names = self._mode_names()
        parts = [self.tr("{mode}：完成 {complete} · 筛除 {screened} · 进行中 {open}").format(
                     mode=names.get(m.mode, m.mode), complete=m.complete,
                     screened=m.screened_out, open=m.in_progress) for m in shot.modes]
        return self.tr("今日访问（按方式）") + "  " + "；".join(parts) if parts else ""

    def _show_chart(self, shot: Snapshot) -> None:
        hours = [row for row in shot.hourly if row[1] or row[0] in range(8, 22)]
        calls, completes = QBarSet(self.tr("拨打")), QBarSet(self.tr("完成"))
        for _, n_calls, n_completes in hours:
            calls.append(n_calls)
            completes.append(n_completes)
        series = QBarSeries()
        series.append(calls)
        series.append(completes)
        series.setLabelsVisible(True)  # completes are small next to calls: show the numbers
        # above the bars (inside, a narrow bar clipped "194" to "9")
        series.setLabelsPosition(QAbstractBarSeries.LabelsPosition.LabelsOutsideEnd)
        for bar_set in (calls, completes):
            bar_set.setLabelColor(QColor("#333333"))
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        self.chart.addSeries(series)
        x = QBarCategoryAxis()
        x.append([f"{hour}" for hour, _, _ in hours])
        y = QValueAxis()
        busiest = max([0, *[n for _, n, _ in hours]])
        top, ticks = count_axis(busiest + max(1, busiest // 8))  # room for the labels on top
        y.setRange(0, top)
        y.setTickCount(ticks)
        y.setLabelFormat("%d")
        self.chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x)
        series.attachAxis(y)

    def _show_strata(self, shot: Snapshot) -> None:
        table = self.strata
        # Strata with a quota first (furthest behind first), then the others by name.
        ordered = sorted(shot.strata, key=lambda r: (r.target is None, 0 if r.target is None
                                                     else r.completes / max(r.target, 1),
                                                     r.stratum))
        table.setRowCount(len(ordered))
        for row, stratum in enumerate(ordered):
            table.setItem(row, 0, _item(stratum.stratum))
            target = "—" if stratum.target is None else stratum.target
            table.setItem(row, 1, _item(f"{stratum.completes} / {target}", align_right=True))
            if stratum.target is None:
                table.removeCellWidget(row, 2)
            else:
                bar = QProgressBar()
                bar.setRange(0, max(1, stratum.target))
                bar.setValue(min(stratum.completes, bar.maximum()))
                table.setCellWidget(row, 2, bar)
            table.setItem(row, 3, _item(stratum.remaining, align_right=True))
            table.setItem(row, 4, _item(stratum.dialled, align_right=True))
            verdict = {None: "", True: self.tr("能"), False: self.tr("⚠ 不够")}[stratum.reachable]
            table.setItem(row, 5, _item(verdict, tip=self.tr(
                "按目前每个已拨号码的完成率，剩余号码能否达到配额") if stratum.target else ""))
        # Quota cells with a condition (e.g. sex × age band) after the strata: the condition
        # is the row's tip; remaining and dialled numbers are the strata's figures only.
        table.setRowCount(len(ordered) + len(shot.cells))
        for row, cell in enumerate(shot.cells, len(ordered)):
            table.setItem(row, 0, _item(self.tr("配额：{name}").format(name=cell.name),
                                        tip=cell.condition))
            table.setItem(row, 1, _item(f"{cell.completes} / {cell.target}", align_right=True))
            bar = QProgressBar()
            bar.setRange(0, max(1, cell.target))
            bar.setValue(min(cell.completes, bar.maximum()))
            table.setCellWidget(row, 2, bar)
            for column in (3, 4):
                table.setItem(row, column, _item("—", align_right=True))
            table.setItem(row, 5, _item(self.tr("已满") if cell.full else ""))

    def _show_interviewers(self, shot: Snapshot) -> None:
        table = self.interviewers
        table.setRowCount(len(shot.interviewers))
        for row, person in enumerate(shot.interviewers):
            values: list[Any] = [
                person.name, self.tr(STATE_NAMES.get(person.state, person.state))
                + (f" · {self.tr(PAUSE_NAMES.get(person.pause_reason, person.pause_reason))}"
                   if person.state == "paused" and person.pause_reason else ""),
                duration(person.since, shot.at) if person.state != "offline" else "",
                person.case_id or "",
                "" if person.calls_per_hour is None else f"{person.calls_per_hour:.1f}",
                person.completes, percent(person.refusal_rate),
                "" if person.mean_interview_minutes is None
                else f"{person.mean_interview_minutes:.1f}",
                "⚠" if person.flags else "", self._listening(person.listening)]
            tips = {8: "; ".join(self.tr(FLAG_NAMES[f]) for f in person.flags),
                    9: self._listening_tip(person.listening)}
            for column, value in enumerate(values):
                table.setItem(row, column, _item(value, align_right=column in (4, 5, 6, 7),
                                                 tip=tips.get(column, "")))

    def _listening(self, listening: Any) -> str:
        """录音抽查 in one cell: the mean score (1–5) over n scored reviews, and the invalid."""
        if listening is None:
            return ""
        text = self.tr("{mean:.1f} 分 ({n} 条)").format(mean=listening.mean, n=listening.scored)
        if listening.invalid:
            text += self.tr(" · 无效 {n}").format(n=listening.invalid)
        return text

    def _listening_tip(self, listening: Any) -> str:
        if listening is None:
            return ""
        names = {"read": self.tr("照本宣读"), "leading": self.tr("无诱导"),
                 "coding": self.tr("编码正确"), "polite": self.tr("礼貌")}
        return "; ".join(f"{names[key]} {mean:.1f}" for key, mean in listening.means.items())

    def _show_queue(self, shot: Snapshot) -> None:
        rows = [(self.tr(CASE_STATES.get(state, state)), n)
                for state, n in sorted(shot.by_state.items())]
        rows += [(self.tr("结果 ") + (code or self.tr("未拨")), n)
                 for code, n in sorted(shot.by_disposition.items())]
        self.queue.setRowCount(len(rows))
        for row, (name, n) in enumerate(rows):
            self.queue.setItem(row, 0, _item(name))
            self.queue.setItem(row, 1, _item(n, align_right=True))
        self.appointments.setRowCount(len(shot.appointments_next_hour))
        for row, due in enumerate(shot.appointments_next_hour):
            local = due.window_start.astimezone(ZoneInfo(shot.zone))
            self.appointments.setItem(row, 0, _item(local.strftime("%H:%M")))
            self.appointments.setItem(row, 1, _item(due.case_id))
            self.appointments.setItem(row, 2, _item(self.tr("是") if due.hard else ""))
