"""Data files beside a form: select_one_from_file, select_one_external with its
external_choices sheet, pulldata() and instance() lookups; their storage with the questionnaire
version (SQLite and PostgreSQL), and the one line a missing file gives."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest
from forms import CLOCK_TIME, play
from sqlalchemy import select, text

from cati.questionnaire.engine import InterviewEngine
from cati.questionnaire.lint import check_form
from cati.questionnaire.loader import load_form
from cati.questionnaire.problems import FormError
from cati.services import questionnaires
from cati.services.projects import create_project
from cati.services.questionnaires import form_of
from cati.storage.models import Project, QuestionnaireFile

TOWNS = ("name,label,label::English (en),code,county\n"
         "qh,清河镇,Qinghe,T01,north\n"
         "gh,古槐街道,Guhuai,T02,north\n"
         "xs,西山乡,Xishan,T03,south\n")
HOUSEHOLDS = "hhid,head,size\nH001,张三,4\nH002,李四,2\n"

LOOKUP_FORM = """
| survey |
| | type | name | label | calculation |
| | text | hhid | 户编号 | |
| | calculate | head | | pulldata('households', 'head', 'hhid', ${hhid}) |
| | calculate | size | | instance('households')/root/item[hhid = ${hhid}]/size |
| | note | confirm | 户主${head}，共${size}人 | |
"""


def write(folder: Path, markdown: str, **files: str) -> Path:
    """The form as form.md in ``folder`` with the data files beside it (a_b_csv -> a_b.csv)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        stem, _, suffix = name.rpartition("_")
        (folder / f"{stem}.{suffix}").write_text(content, encoding="utf-8")
    path = folder / "form.md"
    path.write_text(textwrap.dedent(markdown), encoding="utf-8")
    return path


def start(form_or_path, language: str | None = None) -> InterviewEngine:
    loaded = load_form(form_or_path) if isinstance(form_or_path, Path) else form_or_path
    return InterviewEngine.start(loaded, seed=0, clock=lambda: CLOCK_TIME, language=language)


def names(engine: InterviewEngine) -> list[str]:
    return [choice.name for choice in engine.current().choices]


def labels(engine: InterviewEngine) -> list[str]:
    return [engine.form.text(choice.labels, engine.language) for choice in engine.current().choices]


def problems(path: Path) -> list[str]:
    with pytest.raises(FormError) as caught:
        load_form(path)
    return [str(problem) for problem in caught.value.problems]


def test_select_one_from_file_offers_the_rows_filtered_by_their_columns(tmp_path):
    path = write(tmp_path, """
    | survey |
    | | type | name | label | choice_filter |
    | | select_one county | county | 区县 | |
    | | select_one_from_file towns.csv | town | 乡镇 | county = ${county} |
    | choices |
    | | list_name | name | label |
    | | county | north | 北部 |
    | | county | south | 南部 |
    """, towns_csv=TOWNS)
    engine = start(path)
    play(engine, "north")
    assert names(engine) == ["qh", "gh"]
    assert labels(engine) == ["清河镇", "古槐街道"]
    assert engine.answer("xs") is not None  # a row the filter leaves out is refused
    play(engine, "gh")
    assert engine.final_answers() == {"county": "north", "town": "gh"}


def test_the_files_label_columns_give_the_forms_languages(tmp_path):
    path = write(tmp_path, """
    | survey |
    | | type | name | label::中文 (zh) | label::English (en) |
    | | select_one_from_file towns.csv | town | 乡镇 | Town |
    """, towns_csv=TOWNS.replace("label,label::English", "label::中文 (zh),label::English"))
    loaded = load_form(path)
    assert set(loaded.languages) == {"中文 (zh)", "English (en)"}
    assert labels(start(loaded, "English (en)")) == ["Qinghe", "Guhuai", "Xishan"]


def test_parameters_name_the_value_and_label_columns(tmp_path):
    path = write(tmp_path, """
    | survey |
    | | type | name | label | parameters |
    | | select_multiple_from_file towns.csv | towns | 乡镇 | value=code label=pinyin |
    """, towns_csv="code,pinyin,label\nT01,Qinghe,清河镇\nT02,Guhuai,古槐街道\nT03,Xishan,西山乡\n")
    engine = start(path)
    assert names(engine) == ["T01", "T02", "T03"]
    assert labels(engine) == ["Qinghe", "Guhuai", "Xishan"]
    play(engine, "T01 T03")
    assert engine.final_answers() == {"towns": "T01 T03"}


def test_choices_from_an_xml_file(tmp_path):
    path = write(tmp_path, """
    | survey |
    | | type | name | label |
    | | select_one_from_file towns.xml | town | 乡镇 |
    """, towns_xml="<root><item><name>qh</name><label>清河镇</label></item>"
                   "<item><name>gh</name><label>古槐街道</label></item></root>")
    assert labels(start(path)) == ["清河镇", "古槐街道"]


def test_choices_from_a_geojson_file_are_its_features_id_and_title(tmp_path):
    features = [{"type": "Feature", "id": f"p{i}", "geometry": {"type": "Point",
                                                              "coordinates": [116.4, 39.9]},
                 "properties": {"title": title, "kind": kind}}
                for i, (title, kind) in enumerate([("派出所", "police"), ("医院", "health")])]
    path = write(tmp_path, """
    | survey |
    | | type | name | label | choice_filter |
    | | select_one_from_file places.geojson | place | 地点 | kind = 'health' |
    """, places_geojson=json.dumps({"type": "FeatureCollection", "features": features}))
    engine = start(path)
    assert (names(engine), labels(engine)) == (["p1"], ["医院"])


def test_select_one_external_asks_the_external_choices_list_filtered(tmp_path):
    path = write(tmp_path, """
    | survey |
    | | type | name | label | choice_filter |
    | | select_one county | county | 区县 | |
    | | select_one_external town | town | 乡镇 | county = ${county} |
    | choices |
    | | list_name | name | label |
    | | county | north | 北部 |
    | | county | south | 南部 |
    | external_choices |
    | | list_name | name | label | county |
    | | town | qh | 清河镇 | north |
    | | town | xs | 西山乡 | south |
    | | town | gh | 古槐街道 | north |
    """)
    engine = start(path)
    play(engine, "south")
    assert labels(engine) == ["西山乡"]
    engine.back()
    play(engine, "north")
    assert names(engine) == ["qh", "gh"]


def test_an_external_list_may_share_its_name_with_a_choices_list_and_serve_two_rows(tmp_path):
    engine = start(write(tmp_path, """
    | survey |
    | | type | name | label | choice_filter |
    | | select_one town | home | 户籍乡镇 | |
    | | select_one_external town | work | 工作乡镇 | name != ${home} |
    | | select_one_external town | school | 上学乡镇 | name = ${work} or name = 'gh' |
    | choices |
    | | list_name | name | label |
    | | town | qh | 清河镇 |
    | | town | xs | 西山乡 |
    | external_choices |
    | | list_name | name | label |
    | | town | qh | 清河镇 |
    | | town | gh | 古槐街道 |
    | | town | xs | 西山乡 |
    """))
    assert names(engine) == ["qh", "xs"]
    play(engine, "qh")
    assert names(engine) == ["gh", "xs"]
    play(engine, "xs")
    assert names(engine) == ["gh", "xs"]


def test_select_one_external_without_its_list_names_the_row(tmp_path):
    path = write(tmp_path, """
    | survey |
    | | type | name | label | choice_filter |
    | | select_one_external town | town | 乡镇 | true() |
    | external_choices |
    | | list_name | name | label |
    | | village | v1 | 一村 |
    """)
    assert problems(path) == [
        "survey:2: type: choice list 'town' is not on the external_choices sheet"]


def test_select_one_external_without_a_choice_filter_is_refused_in_words(tmp_path, run_cli):
    path = write(tmp_path, """
    | survey |
    | | type | name | label |
    | | select_one_external town | town | 乡镇 |
    | external_choices |
    | | list_name | name | label |
    | | town | qh | 清河镇 |
    """)
    result = run_cli("form", "check", path)
    assert (result.returncode, result.stderr) == (1, "")
    assert result.stdout.splitlines() == [
        "survey:2: choice_filter: select_one_external needs a choice_filter (without one, "
        "write select_one with the list on the choices sheet)"]


def test_pulldata_and_instance_lookups_read_the_file(tmp_path):
    engine = start(write(tmp_path, LOOKUP_FORM, households_csv=HOUSEHOLDS))
    play(engine, "H002")
    assert engine.current().label == "户主李四，共2人"
    engine.back()
    play(engine, "H009")  # no such row: empty, as in ODK
    assert engine.current().label == "户主，共人"


def test_instance_of_a_choice_list_needs_no_file(tmp_path):
    engine = start(write(tmp_path, """
    | survey |
    | | type | name | label | calculation |
    | | select_one town | town | 乡镇 | |
    | | calculate | code | | instance('town')/root/item[name = ${town}]/code |
    | | calculate | north | | count(instance('town')/root/item[county = 'north']) |
    | | note | show | ${code} of ${north} | |
    | choices |
    | | list_name | name | label | code | county |
    | | town | qh | 清河镇 | T01 | north |
    | | town | gh | 古槐街道 | T02 | north |
    | | town | xs | 西山乡 | T03 | south |
    """))
    play(engine, "gh")
    assert engine.current().label == "T02 of 2"


def test_a_csv_external_row_declares_the_file_and_asks_nothing(tmp_path):
    engine = start(write(tmp_path, """
    | survey |
    | | type | name | label | calculation |
    | | csv-external | households | | |
    | | text | hhid | 户编号 | |
    | | calculate | head | | instance('households')/root/item[hhid = ${hhid}]/head |
    | | note | show | ${head} | |
    """, households_csv=HOUSEHOLDS))
    play(engine, "H001")
    assert engine.current().label == "张三"


def test_a_missing_file_is_one_line_naming_the_row_and_the_file(tmp_path):
    path = write(tmp_path, """
    | survey |
    | | type | name | label | choice_filter |
    | | text | a | A | |
    | | select_one_from_file towns.csv | town | 乡镇 | |
    | | select_one_from_file towns.csv | town2 | 乡镇 | |
    """)
    assert problems(path) == ["survey:3: type: the file 'towns.csv' is not beside the form"]
    lookups = write(tmp_path / "lookups", LOOKUP_FORM)
    assert problems(lookups) == [
        "survey:3: calculation: the file 'households.csv' (or .xml) is not beside the form, "
        "nor is 'households' a choice list"]


def test_a_file_that_is_not_utf8_text_is_one_line(tmp_path):
    path = write(tmp_path, """
    | survey |
    | | type | name | label |
    | | select_one_from_file towns.csv | town | 乡镇 |
    """)
    (tmp_path / "towns.csv").write_bytes("name,label\nqh,清河镇\n".encode("gbk"))
    assert problems(path) == ["survey:2: type: 'towns.csv' is not UTF-8 text"]


def test_a_lookup_file_that_is_not_well_formed_xml_is_one_line(tmp_path):
    path = write(tmp_path, LOOKUP_FORM.replace("'households'", "'people'"),
                 people_xml="<root><item><hhid>H001</hhid></root>")
    found = problems(path)
    assert len(found) == 1  # said once, though two rows read it
    assert found[0].startswith("survey:3: calculation: 'people.xml' is not well-formed XML (")


def test_form_check_with_a_missing_file_prints_one_line_and_fails(tmp_path, run_cli):
    path = write(tmp_path, LOOKUP_FORM)
    result = run_cli("form", "check", path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "survey:3: calculation: the file 'households.csv' (or .xml) is not beside the form, "
        "nor is 'households' a choice list"]
    assert "Traceback" not in result.stderr
    (tmp_path / "households.csv").write_text(HOUSEHOLDS, encoding="utf-8")
    result = run_cli("form", "check", path)
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("ok: form ")


def test_check_form_reads_the_files_beside_the_form(tmp_path):
    report = check_form(write(tmp_path, LOOKUP_FORM, households_csv=HOUSEHOLDS))
    assert report.usable and not report.errors


def test_a_project_keeps_the_files_of_its_questionnaire_version(database, tmp_path):
    path = write(tmp_path, """
    | survey |
    | | type | name | label | calculation |
    | | select_one_from_file towns.csv | town | 乡镇 | |
    | | calculate | code | | pulldata('towns', 'code', 'name', ${town}) |
    | | note | show | 编码${code} | |
    """, towns_csv=TOWNS)
    with database.unit() as session:
        first = create_project(session, "TOWNS", path)
    # The folder is gone and the process forgot the form: the stored version still runs.
    (tmp_path / "towns.csv").unlink()
    questionnaires._forms.clear()
    with database.unit() as session:
        questionnaire_id = session.scalar(select(Project.questionnaire_id)
                                          .where(Project.code == "TOWNS"))
        stored = session.scalars(select(QuestionnaireFile.file_name)
                                 .where(QuestionnaireFile.questionnaire_id == questionnaire_id))
        assert list(stored) == ["towns.csv"]
        loaded = form_of(session, questionnaire_id)
    engine = start(loaded)
    assert names(engine) == ["qh", "gh", "xs"]
    play(engine, "xs")
    assert engine.current().label == "编码T03"
    # The same workbook with a changed file is another version; with the same file, the same.
    (tmp_path / "towns.csv").write_text(TOWNS.replace("T03", "T09"), encoding="utf-8")
    with database.unit() as session:
        second = create_project(session, "TOWNS2", path)
        create_project(session, "TOWNS3", path)
    assert second.form_id == first.form_id
    with database.unit() as session:
        ids = dict(session.execute(select(Project.code, Project.questionnaire_id)).all())
    assert ids["TOWNS"] != ids["TOWNS2"] == ids["TOWNS3"]


def test_a_project_on_a_form_with_a_missing_file_is_refused_and_nothing_is_stored(database,
                                                                                   tmp_path):
    path = write(tmp_path, LOOKUP_FORM)
    with pytest.raises(FormError, match=r"households\.csv"), database.unit() as session:
        create_project(session, "NOFILE", path)
    with database.unit() as session:
        assert session.scalar(select(Project.id).where(Project.code == "NOFILE")) is None


def test_project_create_names_the_missing_file_in_one_line_then_stores_it(database, db_url,
                                                                         run_cli, tmp_path):
    path = write(tmp_path, LOOKUP_FORM)
    result = run_cli("--db", db_url, "project", "create", "HH", "--form", path)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        "cati: form.md: survey:3: calculation: the file 'households.csv' (or .xml) is not beside "
        "the form, nor is 'households' a choice list"]
    (tmp_path / "households.csv").write_text(HOUSEHOLDS, encoding="utf-8")
    result = run_cli("--db", db_url, "project", "create", "HH", "--form", path)
    assert result.returncode == 0, result.stderr
    with database.unit() as session:
        assert session.scalar(select(QuestionnaireFile.content)) == HOUSEHOLDS.encode()


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_interviewers_and_the_web_read_the_files_supervisors_add_them_nobody_changes_them(
        database):
    with database.unit() as session:
        privileges = {
            (role, privilege): session.scalar(text(
                "SELECT has_table_privilege(:role, 'questionnaire_files', :privilege)"),
                {"role": role, "privilege": privilege})
            for role in ("cati_interviewer", "cati_web", "cati_supervisor", "cati_admin")
            for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE")}
    assert {key for key, allowed in privileges.items() if allowed} == {
        ("cati_interviewer", "SELECT"), ("cati_web", "SELECT"),
        ("cati_supervisor", "SELECT"), ("cati_supervisor", "INSERT"),
        ("cati_admin", "SELECT"), ("cati_admin", "INSERT")}


def test_the_lookup_runs_against_ten_thousand_rows_through_the_index(tmp_path):
    rows = "".join(f"H{i:05d},户主{i},{i % 7 + 1}\n" for i in range(10_000))
    engine = start(write(tmp_path, LOOKUP_FORM, households_csv="hhid,head,size\n" + rows))
    began = dt.datetime.now()
    for i in range(0, 10_000, 500):
        engine.answer(f"H{i:05d}")
        assert engine.current().label == f"户主户主{i}，共{i % 7 + 1}人"
        engine.back()
    assert (dt.datetime.now() - began).total_seconds() < 5


@pytest.mark.postgres
def test_under_the_peoples_own_logins_an_admin_stores_the_files_and_an_interviewer_reads_them(
        pg_url, run_cli, tmp_path):
    import psycopg
    from test_pg_security import Centre, _libpq

    from cati.storage.db import Database

    centre = Centre(pg_url, run_cli)
    try:
        path = write(tmp_path, """
        | survey |
        | | type | name | label |
        | | select_one_from_file towns.csv | town | 乡镇 |
        """, towns_csv=TOWNS)
        boss = Database(centre.url("boss"))
        try:
            with boss.unit() as session:
                create_project(session, "TOWNS", path)
        finally:
            boss.dispose()
        questionnaires._forms.clear()
        ivan = Database(centre.url("ivan"))
        try:
            with ivan.unit(immediate=False) as session:
                questionnaire_id = session.scalar(select(Project.questionnaire_id)
                                                  .where(Project.code == "TOWNS"))
                assert names(start(form_of(session, questionnaire_id))) == ["qh", "gh", "xs"]
        finally:
            ivan.dispose()
        for login, statement in (("ivan", "UPDATE questionnaire_files SET content = 'x'"),
                                 ("lin", "DELETE FROM questionnaire_files")):
            with (psycopg.connect(_libpq(centre.url(login)), autocommit=True) as connection,
                  pytest.raises(psycopg.errors.InsufficientPrivilege)):
                connection.execute(statement)
    finally:
        centre.drop()


SEARCH_FORM = """
| survey |
| | type | name | label | appearance | choice_filter |
| | select_one county | county | 区县 | | |
| | select_one town | town | 乡镇 | {appearance} | {choice_filter} |
| choices |
| | list_name | name | label | label::English (en) |
| | county | north | 北部 | North |
| | county | south | 南部 | South |
| | town | name | label | label::English (en) |
"""


@pytest.mark.parametrize(("appearance", "choice_filter", "north"), [
    ("search('towns')", "", ["qh", "gh", "xs"]),
    ("search('towns', 'matches', 'county', ${county})", "", ["qh", "gh"]),
    ("search('towns', 'startswith', 'code', 'T0')", "name != 'gh'", ["qh", "xs"]),
    ("minimal search('towns', 'matches', 'county', ${county}, 'code', 'T02')", "", ["gh"]),
])
def test_the_search_appearance_reads_its_choices_from_the_file(tmp_path, appearance,
                                                               choice_filter, north):
    path = write(tmp_path, SEARCH_FORM.format(appearance=appearance, choice_filter=choice_filter),
                 towns_csv=TOWNS)
    assert check_form(path).warnings == []  # the list's placeholder row is in use
    engine = start(path, "English (en)")
    play(engine, "north")
    assert names(engine) == north
    assert labels(engine)[0] == {"qh": "Qinghe", "gh": "Guhuai"}[north[0]]


def test_a_search_cati_does_not_read_is_one_line(tmp_path):
    path = write(tmp_path, SEARCH_FORM.format(
        appearance="search('towns', 'near', 'county', ${county})", choice_filter=""),
        towns_csv=TOWNS)
    assert problems(path) == [
        "survey:3: appearance: search('towns', 'near', 'county', ${county}) is not a search cati "
        "reads: write search('file') or search('file', 'matches', 'column', value) (or "
        "contains, startswith, endswith)"]
    (tmp_path / "towns.csv").unlink()
    path = write(tmp_path, SEARCH_FORM.format(appearance="search('towns')", choice_filter=""))
    assert problems(path) == ["survey:3: appearance: the file 'towns.csv' is not beside the form"]
