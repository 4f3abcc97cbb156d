"""The supervisor's phone-list import dialog on real files and real databases (SQLite and
PostgreSQL): preview and its layout choices, dry run, import with progress, cancel, rejects,
a broken file; every call into the service is checked to run off the GUI thread.
"""

from __future__ import annotations

import threading

import openpyxl
import pytest
from PySide6.QtCore import Qt
from sample_files import PNG_BYTES, big_rows, write_csv, write_xlsx
from sqlalchemy import func, select

from cati.config import QUESTIONNAIRE_DIR
from cati.sample.readers import SampleFileError, preview
from cati.services.dnc import add_numbers
from cati.services.import_session import ImportService
from cati.services.projects import create_project
from cati.services.sample_import import ImportOptions, import_sample
from cati.services.users import add_user
from cati.storage.models import Case, SampleBatch
from ui.import_dialog import ImportDialog
from ui.tasks import TaskRunner

WAIT = 60_000
BIG_WAIT = 300_000
FORM = QUESTIONNAIRE_DIR / "public_safety.xlsx"
LEFT = Qt.MouseButton.LeftButton

# (phone cell, what becomes of it), under a title row and the header 电话 | 乡镇 | 备注
ROWS = [
    ("13800138000", "imported"),
    ("+86 138 0013 8000", "duplicate_in_file"),
    ("13900139000", "imported"),
    ("6543210", "imported"),          # the project's area code 0396 goes in front
    ("13700137000", "dnc"),
    ("13600136000", "duplicate_existing"),
    ("abc", "invalid"),
    ("4008123123", "invalid"),
    ("", "invalid"),                  # a row with a town but no number is a row
]
REJECTED = [(row, phone) for row, (phone, fate) in enumerate(ROWS, start=3) if fate != "imported"]


class GuardedService:
    """The real service; remembers any call made on the GUI thread (there must be none)."""

    def __init__(self, service: ImportService) -> None:
        self._service = service
        self.calls: list[tuple[str, bool]] = []

    def __getattr__(self, name):
        method = getattr(self._service, name)

        def call(*args, **kwargs):
            on_gui = threading.current_thread() is threading.main_thread()
            self.calls.append((name, on_gui))
            return method(*args, **kwargs)

        return call

    @property
    def gui_thread_calls(self) -> list[str]:
        return [name for name, on_gui in self.calls if on_gui]


@pytest.fixture
def store(database, tmp_path):
    """The project IMP (area code 0396) with one case, a do-not-call number, a supervisor."""
    with database.unit() as session:
        create_project(session, "IMP", FORM, default_area_code="0396")
        add_numbers(session, ["13700137000"], reason="asked not to be called")
        user = add_user(session, "wang", "supervise-2026", "supervisor", "王")
    first = write_csv(tmp_path / "first.csv", [["电话"], ["13600136000"]])
    assert import_sample(database, "IMP", first).imported == 1
    database.test_user_id = user.id
    return database


@pytest.fixture
def tasks():
    runner = TaskRunner()
    yield runner
    runner.shutdown()


@pytest.fixture
def service(store):
    return GuardedService(ImportService(store))


@pytest.fixture
def dialog(qtbot, service, tasks, store):
    dialog = ImportDialog(service, tasks, "IMP", store.test_user_id)
    qtbot.addWidget(dialog)
    dialog.show()
    yield dialog
    if dialog.running:
        dialog.cancel_import()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=BIG_WAIT)
    assert service.gui_thread_calls == []


def list_rows():
    return [["平舆县11月样本"], ["电话", "乡镇", "备注"],
            *([phone, "古槐街道", f"第{n}行"] for n, (phone, _) in enumerate(ROWS, start=1))]


def counts(database) -> tuple[int, int]:
    with database.unit(immediate=False) as session:
        return (session.scalar(select(func.count(Case.id))),
                session.scalar(select(func.count(SampleBatch.id))))


def previewed(qtbot, dialog, path, **wanted):
    """set_file (when given) and wait until the preview on screen has the wanted layout."""
    if path is not None:
        dialog.set_file(path)

    def ready():
        shown = dialog.preview
        return (not dialog.busy and shown is not None
                and all(getattr(shown.layout, key) == value for key, value in wanted.items()))

    qtbot.waitUntil(ready, timeout=WAIT)
    return dialog.preview


def table_rows(table):
    return [[table.item(row, column).text() if table.item(row, column) else ""
             for column in range(table.columnCount())] for row in range(table.rowCount())]


def headers(table):
    return [table.horizontalHeaderItem(column).text() for column in range(table.columnCount())]


def shown_counts(dialog) -> dict[str, int]:
    return {key: int(label.text().replace(",", "")) for key, label in dialog.count_labels.items()}


def test_preview_shows_the_detected_layout_and_the_first_rows(qtbot, dialog, tmp_path):
    path = write_xlsx(tmp_path / "list.xlsx", {
        "样本": list_rows(),
        "说明": [["本文件由乡镇上报"]],
    })
    previewed(qtbot, dialog, path, sheet="样本", header_row=2, phone_column="电话")
    assert [dialog.sheet_combo.itemText(i) for i in range(dialog.sheet_combo.count())] == [
        "样本", "说明"]
    assert dialog.sheet_combo.currentText() == "样本" and dialog.sheet_combo.isEnabled()
    assert dialog.header_spin.value() == 2
    assert dialog.phone_combo.currentText() == "电话"
    assert dialog.stratum_combo.currentText() == "乡镇"
    assert headers(dialog.preview_table) == ["行 Row", "电话", "乡镇", "备注"]
    shown = table_rows(dialog.preview_table)
    assert len(shown) == len(ROWS)
    assert shown[0] == ["3", "13800138000", "古槐街道", "第1行"]
    assert shown[1] == ["4", "+86 138 0013 8000", "古槐街道", "第2行"]
    assert dialog.dry_run_button.isEnabled() and dialog.import_button.isEnabled()


def test_a_sheet_without_a_phone_list_leaves_the_other_sheets_to_choose(qtbot, dialog, tmp_path):
    path = write_xlsx(tmp_path / "list.xlsx", {
        "说明": [["本文件由乡镇上报"]],  # read by default (the first sheet with data)
        "样本": list_rows(),
    })
    with qtbot.waitSignal(dialog.failed, timeout=WAIT) as failed:
        dialog.set_file(path)
    assert "sheet '说明'" in failed.args[0] and "\n" not in dialog.message.text()
    assert not dialog.import_button.isEnabled()
    assert dialog.sheet_combo.currentText() == "说明" and dialog.sheet_combo.isEnabled()

    dialog.sheet_combo.setCurrentText("样本")
    previewed(qtbot, dialog, None, sheet="样本", header_row=2, phone_column="电话")
    assert dialog.error is None and dialog.import_button.isEnabled()
    assert len(table_rows(dialog.preview_table)) == len(ROWS)


def test_changing_the_phone_column_previews_again(qtbot, dialog, tmp_path, store):
    path = write_csv(tmp_path / "two.csv", [
        ["手机", "联系电话", "镇街"],
        ["13800138000", "13911112222", "庙湾镇"],
        ["13800138001", "无", "射桥镇"],
        ["13800138002", "13911112224", "阳城镇"],
    ], encoding="gb18030")
    first = previewed(qtbot, dialog, path, phone_column="手机")
    assert first.layout.stratum_column == "镇街"
    assert "gb18030" in dialog.format_label.text()
    assert not dialog.sheet_combo.isEnabled()  # a text file has no sheets
    calls = len(dialog.service.calls)

    dialog.phone_combo.setCurrentText("联系电话")
    again = previewed(qtbot, dialog, None, phone_column="联系电话")
    assert len(dialog.service.calls) == calls + 1
    assert again.layout.stratum_column == "镇街" and again.layout.header_row == 1
    assert dialog.phone_combo.currentText() == "联系电话"
    phone_header = dialog.preview_table.horizontalHeaderItem(2)
    assert phone_header.text() == "联系电话" and phone_header.font().bold()
    assert not dialog.preview_table.horizontalHeaderItem(1).font().bold()

    dialog.dry_run()  # the dry run reads the column chosen: one of three is not a number
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=WAIT)
    assert shown_counts(dialog)["invalid"] == 1
    assert shown_counts(dialog)["imported"] == 2


def test_dry_run_counts_match_the_import_and_change_nothing(qtbot, dialog, tmp_path, store):
    path = write_csv(tmp_path / "list.csv", list_rows(), encoding="gb18030")
    expected = import_sample(store, "IMP", path, ImportOptions(dry_run=True)).counts()
    before = counts(store)
    previewed(qtbot, dialog, path, header_row=2)

    with qtbot.waitSignal(dialog.run_finished, timeout=WAIT) as finished:
        qtbot.mouseClick(dialog.dry_run_button, LEFT)
    report = finished.args[0]
    assert report.result.dry_run and report.result.batch_id is None
    assert shown_counts(dialog) == {key: expected[key] for key in dialog.count_labels}
    assert shown_counts(dialog) == {"rows": 9, "imported": 3, "invalid": 3,
                                    "duplicate_in_file": 1, "duplicate_existing": 1, "dnc": 1}
    assert dialog.count_titles["imported"].text() == "可导入 Would import"
    assert counts(store) == before
    assert [(int(r[0]), r[1]) for r in table_rows(dialog.rejects_table)] == REJECTED


def test_import_with_progress_imports_the_cases(qtbot, dialog, tmp_path, store):
    numbers = [f"1390000{n:04d}" for n in range(6_000)]  # more than one chunk of progress
    path = write_xlsx(tmp_path / "list.xlsx", [["电话", "乡镇"], *([p, "庙湾镇"] for p in numbers),
                                               ["not a phone", "庙湾镇"]])
    previewed(qtbot, dialog, path, phone_column="电话")
    before_cases, before_batches = counts(store)
    steps = []
    dialog.progressed.connect(steps.append)
    dialog.progressed.connect(lambda _p: labels.append(dialog.progress_label.text()))
    labels: list[str] = []

    with qtbot.waitSignal(dialog.run_finished, timeout=WAIT) as finished:
        qtbot.mouseClick(dialog.import_button, LEFT)
        qtbot.waitUntil(lambda: dialog.running, timeout=WAIT)
        assert dialog.cancel_button.isEnabled() and not dialog.import_button.isEnabled()
    result = finished.args[0].result
    assert [step.phase for step in steps][:1] == ["reading"] and steps[-1].phase == "done"
    assert any("已读取" in text for text in labels)
    assert result.imported == 6_000 and shown_counts(dialog)["imported"] == 6_000
    assert counts(store) == (before_cases + 6_000, before_batches + 1)
    with store.unit(immediate=False) as session:
        batch = session.get(SampleBatch, result.batch_id)
        assert batch.imported_by == store.test_user_id
        assert session.scalar(select(func.count(Case.id)).where(
            Case.batch_id == result.batch_id, Case.stratum == "庙湾镇")) == 6_000
    assert str(result.batch_id) in dialog.summary_label.text()
    assert table_rows(dialog.rejects_table) == [[str(len(numbers) + 2), "not a phone",
                                                 result_reason(dialog)]]
    assert not dialog.cancel_button.isEnabled()


def result_reason(dialog) -> str:
    return dialog.report.rejects[0].reason


@pytest.fixture(scope="session")
def big_list(tmp_path_factory):
    """200,000 rows, as a township's full list: long enough to cancel on the first progress."""
    path = tmp_path_factory.mktemp("big") / "big.csv"
    return write_csv(path, [["电话", "乡镇", "姓名", "备注"], *big_rows(200_000)])


def test_cancel_mid_import_leaves_the_project_unchanged(qtbot, dialog, store, big_list):
    previewed(qtbot, dialog, big_list, phone_column="电话")
    before = counts(store)
    steps = []

    def first_progress(progress):
        steps.append(progress)
        if len(steps) == 1:
            qtbot.mouseClick(dialog.cancel_button, LEFT)

    dialog.progressed.connect(first_progress)
    with qtbot.waitSignal(dialog.run_cancelled, timeout=BIG_WAIT):
        qtbot.mouseClick(dialog.import_button, LEFT)
    assert steps and not dialog.running and dialog.cancelled
    assert "未做任何更改" in dialog.message.text() and "unchanged" in dialog.message.text()
    assert dialog.report is None and not dialog.save_rejects_button.isEnabled()
    assert counts(store) == before
    assert dialog.import_button.isEnabled()  # it can be started again


def test_rejects_saved_as_xlsx_hold_the_rejected_rows(qtbot, dialog, tmp_path, store):
    path = write_csv(tmp_path / "list.csv", list_rows(), encoding="gb18030")
    previewed(qtbot, dialog, path, header_row=2)
    assert not dialog.save_rejects_button.isEnabled()
    with qtbot.waitSignal(dialog.run_finished, timeout=WAIT):
        dialog.start_import()
    assert dialog.save_rejects_button.isEnabled()
    assert len(table_rows(dialog.rejects_table)) == len(REJECTED)
    assert "6" in dialog.rejects_label.text()

    target = tmp_path / "out" / "拒绝清单.xlsx"
    target.parent.mkdir()
    with qtbot.waitSignal(dialog.rejects_saved, timeout=WAIT) as saved:
        assert dialog.save_rejects(target)
    assert saved.args == [str(target)]
    assert "拒绝清单.xlsx" in dialog.message.text()
    book = openpyxl.load_workbook(target, read_only=True)
    try:
        rows = [row for row in book["rejects"].iter_rows(min_row=3, values_only=True)]
    finally:
        book.close()
    assert [(row[0], row[1] or "") for row in rows] == REJECTED
    reasons = {phone: row[2] for row, (_n, phone) in zip(rows, REJECTED, strict=True)}
    assert "do-not-call" in reasons["13700137000"]
    assert "already in the project" in reasons["13600136000"]
    assert all(reason for reason in reasons.values())


def test_a_broken_file_shows_the_one_line_from_the_reader(qtbot, dialog, tmp_path):
    path = tmp_path / "list.xlsx"
    path.write_bytes(PNG_BYTES)
    with pytest.raises(SampleFileError) as expected:
        preview(path)
    with qtbot.waitSignal(dialog.failed, timeout=WAIT) as failed:
        dialog.set_file(path)
    line = str(expected.value)
    assert failed.args == [line]
    assert dialog.message.text() == line and "\n" not in line and "Traceback" not in line
    assert "PNG" in line
    assert dialog.preview is None and dialog.preview_table.rowCount() == 0
    assert not dialog.dry_run_button.isEnabled() and not dialog.import_button.isEnabled()

    good = write_csv(tmp_path / "good.csv", list_rows())  # the next file is fine again
    previewed(qtbot, dialog, good, header_row=2)
    assert dialog.error is None and dialog.import_button.isEnabled()


def test_closing_during_an_import_cancels_it_first(qtbot, dialog, store, big_list):
    previewed(qtbot, dialog, big_list, phone_column="电话")
    before = counts(store)
    closed = []
    dialog.finished.connect(closed.append)
    dialog.progressed.connect(lambda _p: dialog.reject() if not closed else None)
    with qtbot.waitSignal(dialog.run_cancelled, timeout=BIG_WAIT):
        dialog.start_import()
    qtbot.waitUntil(lambda: bool(closed), timeout=WAIT)
    assert not dialog.isVisible()
    assert counts(store) == before
