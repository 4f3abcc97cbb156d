"""Data and paradata exports (`cati export`): CSV, .xlsx and SPSS .sav read back, on SQLite and
PostgreSQL; column names; formula neutralisation; phone numbers and the audit log."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pyreadstat
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy import text as sql_text

from cati.calling.outcomes import record_outcome
from cati.config import QUESTIONNAIRE_DIR
from cati.errors import PermissionDenied
from cati.questionnaire.loader import load_form
from cati.reporting.export import consistent_snapshot, excel_escape, export_data
from cati.reporting.export_columns import (
    META_COLUMNS,
    neutralise_csv,
    plan_columns,
    spss_name,
    starts_like_formula,
)
from cati.reporting.export_paradata import export_paradata
from cati.services.interviews import open_interview, save_answers
from cati.services.projects import create_project
from cati.services.users import add_user
from cati.storage.models import AnswerEvent, AuditEntry, CallAttempt, Case, Interview, User
from tests.forms import form

SHIPPED = QUESTIONNAIRE_DIR / "public_safety.xlsx"
T0 = dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)  # 09:00 in Beijing
WS = "ws-test"
BOM = b"\xef\xbb\xbf"

EMOJI_RTL = "家门口路灯坏了 😀👍🏽 \u200fמה שלומך\u200e ok \u202eabc\u202c"
CONTROL_TEXT = "第一行\r\n第二行\tend _x0041_ literal"

SCREENING = {"phone_kind": "3", "age": "45", "resp_age": "45", "residence": "1",
             "occupation": "2", "township": "3", "urban_rural": "1"}
CORE_1 = {"safety": "3", "safety_worry": "1 7", "worry_other": EMOJI_RTL, "trend": "1",
          "sat_police": "3", "sat_procuratorate": "1", "sat_court": "2", "sat_justice": "8",
          "unsat_reason": "-2+3", "suggestion": "=1+1"}
CLOSING_1 = {"campaign_aware": "1", "gang_exists": "2", "campaign_sat": "1",
             "pingan_aware": "1", "pingan_join": "2", "gender": "2", "follow_up_ok": "1"}
INTERVIEW_2 = {**SCREENING, "age": "70", "resp_age": "70", "township": "19", "safety": "1",
               "trend": "2", "sat_police": "1", "sat_procuratorate": "1", "sat_court": "1",
               "sat_justice": "1", "suggestion": "@SUM(A1)", "campaign_aware": "2",
               "gang_exists": "8", "campaign_sat": "8", "pingan_aware": "2",
               "pingan_join": "2", "gender": "1", "follow_up_ok": "2"}
# Broken off after the reason for the dissatisfaction with the police.
PARTIAL = {**SCREENING, "township": "5", "safety": "2", "trend": "1", "sat_police": "4",
           "sat_procuratorate": "1", "sat_court": "1", "sat_justice": "1",
           "unsat_reason": CONTROL_TEXT}


@dataclass(frozen=True)
class Seeded:
    project_id: int
    cases: list[int]
    interviews: list[int]  # complete, complete, partial
    interviewer_id: int


def _seed(database) -> Seeded:
    with database.unit() as session:
        project = create_project(session, "PX", SHIPPED, name="平舆县11月")
        add_user(session, "sup", "pass-Q9-s-001", "supervisor")
        add_user(session, "adm", "pass-Q9-a-002", "admin")
        interviewer = add_user(session, "iv1", "pass-Q9-i-003", "interviewer")
        lease = T0 + dt.timedelta(days=1)
        session.execute(insert(Case), [
            {"project_id": project.id, "phone_e164": f"+861380000000{n}", "state": "fresh",
             "attempts": 0, "priority": 0, "stratum": "sample stratum", "attributes": {},
             "time_zone": "Asia/Shanghai", "lease_holder": WS, "lease_expires_at": lease}
            for n in range(1, 5)])
        cases = list(session.scalars(select(Case.id).where(Case.project_id == project.id)
                                     .order_by(Case.id)))
    uid = interviewer.id
    # A no-answer call on the last case: an attempt without an interview (paradata).
    record_outcome(database, cases[3], WS, "3.13", interviewer_id=uid, started_at=T0,
                   now=T0 + dt.timedelta(seconds=25))
    plans = [(cases[0], [SCREENING, CORE_1, CLOSING_1], "1.1"),
             (cases[1], [INTERVIEW_2], "1.1"),
             (cases[2], [PARTIAL], "1.2")]
    interviews = []
    for number, (case_id, saves, code) in enumerate(plans):
        start = T0 + dt.timedelta(hours=number + 1)
        interview = open_interview(database, project.id, case_id=case_id, interviewer_id=uid,
                                   workstation=WS, now=start + dt.timedelta(seconds=30))
        at = start + dt.timedelta(seconds=30)
        for step, changes in enumerate(saves):
            at += dt.timedelta(seconds=40 + 7 * step)
            save_answers(database, interview.id, changes, current_item=None, user_id=uid,
                         workstation=WS, now=at)
        if number == 0:  # an answer changed after the fact
            at += dt.timedelta(seconds=5)
            save_answers(database, interview.id, {"trend": "2"}, current_item=None,
                         user_id=uid, workstation=WS, now=at)
        record_outcome(database, case_id, WS, code, interviewer_id=uid, started_at=start,
                       now=at + dt.timedelta(seconds=12), interview_id=interview.id)
        interviews.append(interview.id)
    return Seeded(project.id, cases, interviews, uid)


@pytest.fixture
def seeded(database) -> Seeded:
    return _seed(database)


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    raw = path.read_bytes()
    assert raw.startswith(BOM)
    reader = csv.reader(io.StringIO(raw[len(BOM):].decode("utf-8"), newline=""))
    header = next(reader)
    return header, [dict(zip(header, row, strict=True)) for row in reader]


def _audit(database) -> list[AuditEntry]:
    with database.unit() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "export")
                                    .order_by(AuditEntry.id)))


def _excel_unescape(text: str) -> str:
    """What Excel shows for a stored string (its _xHHHH_ escapes decoded)."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def _user_id(database, username: str) -> int:
    with database.unit() as session:
        return session.scalar(select(User.id).where(User.username == username))


# -- CSV --------------------------------------------------------------------------------------


def test_csv_export(run_cli, db_url, database, seeded, tmp_path):
    out = tmp_path / "data.csv"
    result = run_cli("--db", db_url, "export", "--project", "PX", "--format", "csv",
                     "--out", out)
    assert result.returncode == 0, result.stderr
    assert "exported 2 interviews" in result.stdout
    header, rows = _read_csv(out)
    assert header[:9] == [name for name, kind, _ in META_COLUMNS if kind != "phone"]
    assert "phone" not in header and "phone_local" not in header
    questions = ["interview_mode", "centre_name", "phone_kind", "age", "other_adult", "age_adult",
                 "resp_age", "residence", "occupation", "township", "urban_rural", "safety",
                 "safety_worry", *(f"safety_worry_{n}" for n in range(1, 8)), "worry_other",
                 "trend", "sat_police", "sat_procuratorate", "sat_court", "sat_justice",
                 "unsat_reason", "suggestion", "has_suggestion", "campaign_aware",
                 "gang_exists", "campaign_sat", "pingan_aware", "pingan_join", "gender",
                 "follow_up_ok", "contact_phone"]
    assert header[9:] == questions
    assert [int(r["interview_id"]) for r in rows] == seeded.interviews[:2]
    first, second = rows
    assert first["case_id"] == str(seeded.cases[0])
    assert first["disposition"] == "1.1" and first["mode"] == "phone"
    assert first["interviewer"] == "iv1"
    assert first["stratum"] == "东皇街道"  # the answered township's label
    assert first["started"] == "2026-11-24T02:00:30Z"
    assert int(first["duration_s"]) == (40 + 47 + 54 + 5 + 12)
    assert first["safety_worry"] == "1 7"
    assert [first[f"safety_worry_{n}"] for n in range(1, 8)] == list("1000001")
    assert first["trend"] == "2" and first["resp_age"] == "45"
    assert first["worry_other"] == EMOJI_RTL  # exactly as typed
    assert first["suggestion"] == "'=1+1"
    assert first["unsat_reason"] == "'-2+3"
    assert second["suggestion"] == "'@SUM(A1)"
    assert second["safety_worry"] == "" and second["safety_worry_1"] == ""
    assert second["age"] == "70" and second["other_adult"] == ""
    audit = _audit(database)
    assert len(audit) == 1 and audit[0].user_id is None
    assert {k: audit[0].details[k] for k in ("project", "format", "rows", "with_phone")} == \
        {"project": "PX", "format": "csv", "rows": 2, "with_phone": False}


def test_labels_text_and_partials(run_cli, db_url, database, seeded, tmp_path):
    out = tmp_path / "labels.csv"
    result = run_cli("--db", db_url, "export", "--project", "PX", "--format", "csv",
                     "--out", out, "--labels", "text", "--include", "partial")
    assert result.returncode == 0, result.stderr
    _, rows = _read_csv(out)
    assert [int(r["interview_id"]) for r in rows] == seeded.interviews
    first, _, partial = rows
    assert first["safety"] == "不太安全" and first["township"] == "东皇街道"
    assert first["safety_worry"] == "盗窃; 其他"
    assert first["safety_worry_1"] == "1" and first["safety_worry_2"] == "0"
    assert first["age"] == "45"  # numbers stay numbers
    assert partial["disposition"] == "1.2"
    assert partial["ended"] == "" and partial["duration_s"] == ""
    assert partial["safety"] == "基本安全" and partial["suggestion"] == ""
    assert partial["unsat_reason"] == CONTROL_TEXT


# -- .xlsx ------------------------------------------------------------------------------------


def test_xlsx_export(run_cli, db_url, database, seeded, tmp_path):
    out = tmp_path / "data.xlsx"
    result = run_cli("--db", db_url, "export", "--project", "PX", "--format", "xlsx",
                     "--out", out, "--include", "partial")
    assert result.returncode == 0, result.stderr
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["data", "columns"]
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row), "a formula cell was written"
    sheet = book["data"]
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert len(rows) == 3
    first, second, partial = rows
    assert first["suggestion"].value == "=1+1" and first["suggestion"].data_type == "s"
    assert first["suggestion"].quotePrefix
    assert second["suggestion"].value == "@SUM(A1)" and second["suggestion"].quotePrefix
    assert first["unsat_reason"].value == "-2+3" and first["unsat_reason"].data_type == "s"
    assert first["worry_other"].value == EMOJI_RTL
    assert first["age"].value == 45 and first["resp_age"].value == 45  # number cells
    assert first["safety"].value == "3" and first["safety_worry"].value == "1 7"
    assert [first[f"safety_worry_{n}"].value for n in range(1, 8)] == [1, 0, 0, 0, 0, 0, 1]
    assert second["safety_worry_1"].value is None
    assert first["interview_id"].value == seeded.interviews[0]
    assert first["disposition"].value == "1.1" and partial["disposition"].value == "1.2"
    assert isinstance(first["duration_s"].value, int)
    # CR and a literal _xHHHH_ travel in Excel's escapes: Excel shows the text as typed.
    stored = partial["unsat_reason"].value
    assert "\r" not in stored and _excel_unescape(stored) == CONTROL_TEXT
    mapping = {row[0]: row for row in book["columns"].iter_rows(min_row=2, values_only=True)}
    assert mapping["safety_worry_7"][1:4] == ("safety_worry", "7", "choice")
    assert mapping["suggestion"][4] == "请问您对搞好本地的社会治安有什么建议吗?"


def test_excel_escape():
    assert excel_escape("a\rb\x01c") == "a_x000D_b_x0001_c"
    assert excel_escape("x_x0041_y") == "x_x005F_x0041_y"
    assert excel_escape("plain 中文 \t\n😀") == "plain 中文 \t\n😀"
    for text in ("a\rb\x01c", "x_x0041_y", "_x005F_", CONTROL_TEXT):
        assert _excel_unescape(excel_escape(text)) == text


# -- SPSS .sav --------------------------------------------------------------------------------


def test_sav_export(run_cli, db_url, database, seeded, tmp_path):
    out = tmp_path / "data.sav"
    result = run_cli("--db", db_url, "export", "--project", "PX", "--format", "sav",
                     "--out", out)
    assert result.returncode == 0, result.stderr
    frame, meta = pyreadstat.read_sav(str(out))
    assert len(frame) == 2
    labels = meta.column_names_to_labels
    assert labels["suggestion"] == "请问您对搞好本地的社会治安有什么建议吗?"
    assert labels["safety_worry_2"] == "您觉得不安全,主要是因为哪些方面的问题?: 电信网络诈骗"
    assert labels["started"] == "开始时间 started (UTC)"
    values = meta.variable_value_labels
    assert values["safety"] == {1.0: "安全", 2.0: "基本安全", 3.0: "不太安全", 4.0: "不安全",
                                8.0: "说不清", 9.0: "拒答"}
    assert values["safety_worry_1"] == {0.0: "未选 not selected", 1.0: "选中 selected"}
    assert values["township"][3.0] == "东皇街道"
    assert meta.readstat_variable_types["safety"] == "double"
    assert meta.readstat_variable_types["safety_worry"] == "string"
    assert meta.readstat_variable_types["suggestion"] == "string"
    assert meta.variable_measure["safety"] == "nominal"
    assert meta.variable_measure["age"] == "scale"
    assert meta.variable_measure["duration_s"] == "scale"
    first, second = frame.to_dict("records")
    assert first["safety"] == 3.0 and first["age"] == 45.0 and first["resp_age"] == 45.0
    assert first["safety_worry"] == "1 7"
    assert [first[f"safety_worry_{n}"] for n in range(1, 8)] == [1, 0, 0, 0, 0, 0, 1]
    assert first["suggestion"] == "=1+1" and second["suggestion"] == "@SUM(A1)"
    assert first["worry_other"] == EMOJI_RTL
    assert first["disposition"] == "1.1"
    assert first["started"] == dt.datetime(2026, 11, 24, 2, 0, 30)  # UTC
    assert first["interview_id"] == seeded.interviews[0]


def test_sav_with_labels_text_and_strange_names(database, tmp_path):
    odd = tmp_path / "odd.md"
    odd.write_text(ODD_FORM, encoding="utf-8")
    with database.unit() as session:
        project = create_project(session, "ODD", odd)
    interview = open_interview(database, project.id, mode="field", now=T0)
    save_answers(database, interview.id, {"started": "yes", "by": "3", "q-1": "q",
                                          "fruit": "a-b c", "fruit_c": "x", "kind": "k1",
                                          "calc.": "abc"},
                 current_item=None, now=T0 + dt.timedelta(seconds=3))
    with database.unit() as session:
        session.get(Interview, interview.id).state = "complete"
    coded = export_data(database, "ODD", tmp_path / "odd.sav")
    assert [c.name for c in coded.columns][9:] == [
        "started_2", "by_", "v_private", "q_1", "fruit", "fruit_a_b", "fruit_c_3", "fruit_c",
        "Fruit_C_2", "kind", "calc"]
    frame, meta = pyreadstat.read_sav(str(tmp_path / "odd.sav"))
    record = frame.to_dict("records")[0]
    assert record["started_2"] == "yes" and record["by_"] == 3.0 and record["q_1"] == "q"
    assert record["fruit_a_b"] == 1 and record["fruit_c_3"] == 1 and record["fruit_c"] == "x"
    assert record["kind"] == "k1" and record["calc"] == "abc"
    assert meta.variable_value_labels["kind"] == {"k1": "Kind one", "k2": "Kind two"}
    assert meta.readstat_variable_types["kind"] == "string"
    assert "started_2 = started" in meta.notes and "fruit_c_3 = fruit_c" in meta.notes
    export_data(database, "ODD", tmp_path / "odd_text.sav", labels="text")
    frame, meta = pyreadstat.read_sav(str(tmp_path / "odd_text.sav"))
    record = frame.to_dict("records")[0]
    assert record["kind"] == "Kind one" and record["fruit"] == "AB; C"
    assert "kind" not in meta.variable_value_labels


ODD_FORM = """\
| survey |
| | type | name | label | calculation |
| | text | started | Started? | |
| | integer | by | By | |
| | text | _private | Private | |
| | text | q-1 | Q one | |
| | select_multiple fruit | fruit | Fruit | |
| | text | fruit_c | Fruit c text | |
| | select_one yn | Fruit_C | Upper | |
| | select_one kinds | kind | Kind | |
| | calculate | calc. | | 1 + 1 |

| choices |
| | list_name | name | label |
| | fruit | a-b | AB |
| | fruit | c | C |
| | yn | yes | Yes |
| | yn | no | No |
| | kinds | k1 | Kind one |
| | kinds | k2 | Kind two |
"""


# -- names and neutralisation (pure) ----------------------------------------------------------


def test_spss_names():
    assert spss_name("safety_worry") == "safety_worry"
    assert spss_name("q-1") == "q_1"
    assert spss_name("_x") == "v_x" and spss_name("1st") == "v1st"
    assert spss_name("to") == "to_" and spss_name("WITH") == "WITH_"
    assert spss_name("a.b.") == "a.b"
    assert spss_name("年龄") == "年龄"  # letters of any script
    long = spss_name("问" * 40)
    assert len(long.encode()) <= 64 and long == "问" * 21


def test_column_plan_gives_questions_their_own_names_first():
    columns = plan_columns([load_form(ODD_FORM, "odd.md")], with_phone=True)
    names = [c.name for c in columns]
    assert names[:11] == [name for name, _, _ in META_COLUMNS]
    assert len({n.casefold() for n in names}) == len(names)
    by_name = {c.name: c for c in columns}
    assert by_name["fruit_c"].source == "fruit_c" and not by_name["fruit_c"].renamed
    assert by_name["fruit_c_3"].choice == "c" and by_name["fruit_c_3"].renamed
    assert by_name["Fruit_C_2"].source == "Fruit_C"
    for name in names:
        assert re.fullmatch(r"[^\W\d_][\w.@#$]*", name) and not name.endswith(".")


def test_column_plan_over_two_questionnaire_versions():
    first = form("""
        | survey |
        | | type | name | label |
        | | select_multiple c | pick | Pick |
        | choices |
        | | list_name | name | label |
        | | c | 1 | One |
        """)
    second = form("""
        | survey |
        | | type | name | label |
        | | text | extra | Extra |
        | | select_multiple c | pick | Pick |
        | choices |
        | | list_name | name | label |
        | | c | 1 | One |
        | | c | 2 | Two |
        """)
    names = [c.name for c in plan_columns([first, second], with_phone=False)][9:]
    assert names == ["pick", "pick_1", "pick_2", "extra"]


def test_formula_neutralisation():
    for text in ("=1+1", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "＝1+1", "＋1", "＠x"):
        assert starts_like_formula(text)
        assert neutralise_csv(text) == "'" + text
    for text in ("-12", "-3.5", "1+1", "a=b", "", "中文", "'quoted"):
        assert neutralise_csv(text) == text


# -- phone numbers, roles, the audit log -------------------------------------------------------


def test_phone_numbers_need_a_supervisor(run_cli, db_url, database, seeded, tmp_path):
    out = tmp_path / "phones.csv"
    base = ("--db", db_url, "export", "--project", "PX", "--format", "csv", "--out", out)
    anonymous = run_cli(*base, "--with-phone")
    assert anonymous.returncode == 1 and not out.exists()
    assert anonymous.stderr.startswith("cati: --with-phone needs --user")
    assert len(anonymous.stderr.strip().splitlines()) == 1
    refused = run_cli(*base, "--with-phone", "--user", "iv1")
    assert refused.returncode == 1 and not out.exists()
    assert refused.stderr.strip() == ("cati: only a supervisor or an admin can export phone "
                                      "numbers (仅督导或管理员可以导出电话号码)")
    plain_interviewer = run_cli(*base, "--user", "iv1")
    assert plain_interviewer.returncode == 1 and not out.exists()
    assert _audit(database) == []
    allowed = run_cli(*base, "--with-phone", "--user", "sup")
    assert allowed.returncode == 0, allowed.stderr
    header, rows = _read_csv(out)
    assert header[:4] == ["interview_id", "case_id", "phone", "phone_local"]
    # E.164 as stored (no formula quote: "+86…" is a number to a spreadsheet), and as dialled
    assert [r["phone"] for r in rows] == ["+8613800000001", "+8613800000002"]
    assert [r["phone_local"] for r in rows] == ["13800000001", "13800000002"]
    without = run_cli("--db", db_url, "export", "--project", "PX", "--out",
                      tmp_path / "plain.xlsx", "--user", "adm")
    assert without.returncode == 0, without.stderr
    sheet = openpyxl.load_workbook(tmp_path / "plain.xlsx")["data"]
    assert "phone" not in [cell.value for cell in sheet[1]]
    audit = _audit(database)
    assert [(a.user_id, a.details["with_phone"], a.details["format"]) for a in audit] == [
        (_user_id(database, "sup"), True, "csv"), (_user_id(database, "adm"), False, "xlsx")]
    assert all(a.details["rows"] == 2 and a.details["project"] == "PX" for a in audit)


def test_service_refuses_an_interviewer(database, seeded, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(PermissionDenied):
        export_data(database, "PX", folder / "x.sav", with_phone=True,
                    user_id=seeded.interviewer_id)
    assert list(folder.iterdir()) == []


def test_bad_input_writes_nothing(run_cli, db_url, database, tmp_path):
    with database.unit() as session:
        create_project(session, "PX", SHIPPED)
    folder = tmp_path / "out"
    folder.mkdir()
    cases = [
        (("--project", "NOPE", "--out", folder / "a.csv"), "cati: no project 'NOPE'"),
        (("--project", "PX", "--out", tmp_path / "missing" / "a.csv"),
         f"cati: cannot write {tmp_path / 'missing' / 'a.csv'}: No such file or directory"),
        (("--project", "PX", "--format", "csv", "--out", folder),
         f"cati: cannot write {folder}: it is a folder"),
        (("--project", "PX", "--out", folder / "a.txt"), "cati: say --format csv, xlsx or sav"),
        (("--project", "PX", "--out", folder / "a.csv", "--user", "ghost"),
         "cati: no user 'ghost'"),
        (("paradata", "--project", "PX", "--out", folder / "p.csv", "--with-phone"),
         "cati: paradata takes no --with-phone"),
    ]
    for args, message in cases:
        result = run_cli("--db", db_url, "export", *args)
        assert result.returncode == 1, args
        assert result.stderr.startswith(message), result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.stderr
    assert list(folder.iterdir()) == []
    assert _audit(database) == []


def test_an_empty_project_exports_a_header(database, tmp_path):
    with database.unit() as session:
        create_project(session, "EMPTY", SHIPPED)
    for fmt in ("csv", "xlsx", "sav"):
        result = export_data(database, "EMPTY", tmp_path / f"empty.{fmt}")
        assert result.rows == 0 and (tmp_path / f"empty.{fmt}").is_file()
    header, rows = _read_csv(tmp_path / "empty.csv")
    assert rows == [] and header[-1] == "contact_phone"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


# -- paradata ---------------------------------------------------------------------------------


def test_paradata(run_cli, db_url, database, seeded, tmp_path):
    out = tmp_path / "para.csv"
    result = run_cli("--db", db_url, "export", "paradata", "--project", "PX", "--out", out,
                     "--user", "sup")
    assert result.returncode == 0, result.stderr
    header, rows = _read_csv(out)
    assert header == ["kind", "id", "case_id", "interview_id", "interviewer", "workstation",
                      "at", "ended", "seconds", "disposition", "question", "action",
                      "old_value", "new_value", "note"]
    with database.unit() as session:
        attempts = session.scalar(select(func.count(CallAttempt.id)))
        events = session.scalar(select(func.count(AnswerEvent.id)))
    assert len(rows) == attempts + events == 4 + events
    assert sum(r["kind"] == "attempt" for r in rows) == 4
    by_case: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_case.setdefault(row["case_id"], []).append(row)
    assert list(by_case) == [str(c) for c in seeded.cases]  # grouped by case
    first = by_case[str(seeded.cases[0])]
    call = first[0]
    assert call["kind"] == "attempt" and call["disposition"] == "1.1"
    assert call["interview_id"] == str(seeded.interviews[0])
    assert call["workstation"] == WS and call["interviewer"] == "iv1"
    assert call["at"] == "2026-11-24T02:00:00.000Z"
    assert float(call["seconds"]) == 30 + 40 + 47 + 54 + 5 + 12
    answers = [r for r in first if r["kind"] == "answer"]
    assert {r["seconds"] for r in answers if r["question"] == "phone_kind"} == {"40"}
    assert {r["seconds"] for r in answers if r["question"] == "safety"} == {"47"}
    change = [r for r in answers if r["question"] == "trend" and r["action"] == "change"]
    assert [(r["old_value"], r["new_value"], r["seconds"]) for r in change] == [("1", "2", "5")]
    suggestion = next(r for r in answers if r["question"] == "suggestion")
    assert suggestion["new_value"] == "'=1+1" and suggestion["action"] == "set"
    no_answer = by_case[str(seeded.cases[3])]
    assert [(r["kind"], r["disposition"], r["seconds"], r["interview_id"])
            for r in no_answer] == [("attempt", "3.13", "25", "")]
    audit = _audit(database)
    assert audit[-1].details["rows"] == len(rows) and audit[-1].details["data"] == "paradata"
    assert audit[-1].user_id == _user_id(database, "sup")


def test_paradata_of_a_field_interview(database, seeded, tmp_path):
    field = open_interview(database, seeded.project_id, mode="field", now=T0)
    save_answers(database, field.id, {"age": "33"}, current_item=None,
                 now=T0 + dt.timedelta(seconds=9.5))
    result = export_paradata(database, "PX", tmp_path / "p.csv")
    assert result.attempts == 4 and result.rows == result.attempts + result.answers
    _, rows = _read_csv(tmp_path / "p.csv")
    assert rows[0]["case_id"] == "" and rows[0]["interview_id"] == str(field.id)
    assert (rows[0]["question"], rows[0]["seconds"], rows[0]["at"]) == \
        ("age", "9.5", "2026-11-24T01:00:09.500Z")
    assert rows[0]["interviewer"] == ""


def test_an_export_reads_one_snapshot(database):
    with database.unit(immediate=False) as session:
        consistent_snapshot(session, database)
        if not database.is_sqlite:
            level = session.execute(sql_text("SHOW transaction_isolation")).scalar()
            assert level == "repeatable read"


def test_numbers_as_dialled_from_china():
    from cati.reporting.export_columns import dialable_in_china

    assert dialable_in_china("+8613707549135") == "13707549135"
    assert dialable_in_china("+861012345678") == "01012345678"  # Beijing, trunk prefix 0
    assert dialable_in_china("+8675512345678") == "075512345678"  # Shenzhen
    assert dialable_in_china("+16502530000") == "0016502530000"  # abroad: 00 and the country
    assert dialable_in_china(None) is None


def test_a_reopened_complete_is_voided_and_a_second_complete_is_not_a_double(
        run_cli, db_url, database, seeded, tmp_path):
    """Reopening a completed case (with a reason) voids its interview: after the case is
    completed again, the export holds one complete for it; the voided one only when asked."""
    from cati.services.sample_browser import SampleBrowser

    boss = _user_id(database, "sup")
    case_id, first = seeded.cases[0], seeded.interviews[0]
    result = SampleBrowser(database).reopen([case_id], boss, reason="受访者说不是本人作答")
    assert result.changed == (case_id,)
    with database.unit() as session:  # a workstation claims it again (as the queue would)
        session.execute(Case.__table__.update().where(Case.id == case_id).values(
            lease_holder=WS, lease_expires_at=T0 + dt.timedelta(days=2)))
    second = open_interview(database, seeded.project_id, case_id=case_id,
                            interviewer_id=seeded.interviewer_id, workstation=WS,
                            now=T0 + dt.timedelta(days=1))
    at = T0 + dt.timedelta(days=1, minutes=1)
    for changes in (SCREENING, CORE_1, CLOSING_1):
        at += dt.timedelta(seconds=40)
        save_answers(database, second.id, changes, current_item=None,
                     user_id=seeded.interviewer_id, workstation=WS, now=at)
    record_outcome(database, case_id, WS, "1.1", interviewer_id=seeded.interviewer_id,
                   started_at=T0 + dt.timedelta(days=1), now=at, interview_id=second.id)
    with database.unit(immediate=False) as session:
        states = dict(session.execute(select(Interview.id, Interview.state)
                                      .where(Interview.case_id == case_id)).all())
    assert states == {first: "void", second.id: "complete"}
    out = tmp_path / "data.csv"
    assert run_cli("--db", db_url, "export", "--project", "PX", "--out", out).returncode == 0
    _, rows = _read_csv(out)
    assert [r["case_id"] for r in rows].count(str(case_id)) == 1
    assert {r["interview_id"] for r in rows} == {str(second.id), str(seeded.interviews[1])}
    asked = tmp_path / "with-void.csv"
    done = run_cli("--db", db_url, "export", "--project", "PX", "--out", asked,
                   "--include", "void")
    assert done.returncode == 0, done.stderr
    _, rows = _read_csv(asked)
    assert {r["interview_id"]: r["disposition"] for r in rows}[str(first)] == "void"
    [entry] = [e for e in _all_audit(database) if e.action == "sample.reopen"]
    assert entry.details["reason"] == "受访者说不是本人作答"
    assert entry.details["voided_interviews"] == [first]


def _all_audit(database) -> list[AuditEntry]:
    with database.unit() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
