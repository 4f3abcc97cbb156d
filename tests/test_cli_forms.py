"""``cati form check | run | walk`` as an author uses them, in a subprocess."""

from __future__ import annotations

import json
import textwrap

import pytest

from cati.config import QUESTIONNAIRE_DIR

SHIPPED = QUESTIONNAIRE_DIR / "public_safety.xlsx"

COMPLETE = {
    "phone_kind": "2", "age": 40, "residence": "1", "occupation": "2", "township": "5",
    "urban_rural": "2", "safety": "3", "safety_worry": ["2", "7"], "worry_other": "夜里路灯少",
    "trend": "1", "sat_police": "1", "sat_procuratorate": "2", "sat_court": "8",
    "sat_justice": "4", "unsat_reason": "办事慢", "suggestion": "没有", "campaign_aware": "1",
    "gang_exists": "2", "campaign_sat": "1", "pingan_aware": "1", "pingan_join": "2",
    "gender": "2", "follow_up_ok": "1",
}


def write(tmp_path, name: str, content: str):
    path = tmp_path / name
    path.write_text(textwrap.dedent(content), encoding="utf-8")
    return path


def run_form(run_cli, tmp_path, answers: dict, *extra: str):
    answers_file = tmp_path / "answers.json"
    answers_file.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    return run_cli("form", "run", SHIPPED, "--answers", answers_file, *extra)


def test_check_passes_on_the_shipped_questionnaire(run_cli):
    result = run_cli("form", "check", SHIPPED)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok: public_safety" in result.stdout


def test_full_complete(run_cli, tmp_path):
    result = run_form(run_cli, tmp_path, COMPLETE)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["outcome"] == "complete" and out["disposition"] == "1.1"
    assert out["stopped_at"] is None
    assert out["path"][0] == "intro" and out["path"][-1] == "end_thanks"
    for name in ("other_adult", "age_adult", "end_minor", "end_residence", "end_occupation"):
        assert name not in out["path"]
    assert out["answers"]["safety_worry"] == "2 7"
    assert out["answers"]["age"] == "40"
    assert out["answers"]["resp_age"] == "40"
    assert out["answers"]["follow_up_ok"] == "1"


@pytest.mark.parametrize(
    ("answers", "ends_at"),
    [
        ({"phone_kind": "3", "age": 16, "other_adult": "2"}, "end_minor"),
        ({"phone_kind": "3", "age": 30, "residence": "2"}, "end_residence"),
        ({"phone_kind": "3", "age": 30, "residence": "1", "occupation": "1"}, "end_occupation"),
    ],
)
def test_each_screen_out(run_cli, tmp_path, answers, ends_at):
    result = run_form(run_cli, tmp_path, answers)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["outcome"] == "screened_out"
    assert out["disposition"] == "4.70"
    assert out["path"][-1] == ends_at
    assert out["stopped_at"] is None


def test_minor_hands_over_and_completes(run_cli, tmp_path):
    answers = {**COMPLETE, "age": 15, "other_adult": "1", "age_adult": 52}
    out = json.loads(run_form(run_cli, tmp_path, answers).stdout)
    assert out["outcome"] == "complete"
    assert out["answers"]["resp_age"] == "52"


def test_missing_answer_stops_the_run(run_cli, tmp_path):
    answers = {k: v for k, v in COMPLETE.items() if k != "trend"}
    result = run_form(run_cli, tmp_path, answers)
    assert result.returncode == 0
    out = json.loads(result.stdout)
    assert out["outcome"] == "incomplete" and out["disposition"] is None
    assert out["stopped_at"] == "trend" and out["path"][-1] == "trend"
    assert "trend" not in out["answers"] and out["answers"]["safety"] == "3"


def test_rejected_answer_exits_1_with_json(run_cli, tmp_path):
    result = run_form(run_cli, tmp_path, {**COMPLETE, "age": 130})
    assert result.returncode == 1
    error = json.loads(result.stdout)["error"]
    assert error["question"] == "age" and error["message"]
    result = run_form(run_cli, tmp_path, {**COMPLETE, "safety": "5"})
    assert json.loads(result.stdout)["error"]["question"] == "safety"


def test_null_is_left_empty(run_cli, tmp_path):
    form_file = write(tmp_path, "f.md", """
    | survey |
    | | type | name | label | required |
    | | text | note_it | Note? | |
    | | text | must | Must | yes |
    """)
    answers = tmp_path / "a.json"
    answers.write_text('{"note_it": null, "must": "x", "never": 1}')
    out = json.loads(run_cli("form", "run", form_file, "--answers", answers).stdout)
    assert out == {"outcome": "complete", "disposition": "1.1", "path": ["note_it", "must"],
                   "answers": {"note_it": None, "must": "x"}, "stopped_at": None}
    answers.write_text('{"note_it": "a", "must": null}')
    result = run_cli("form", "run", form_file, "--answers", answers)
    assert result.returncode == 1
    assert json.loads(result.stdout)["error"]["question"] == "must"


def test_walk_reaches_every_item_of_the_shipped_form(run_cli):
    result = run_cli("form", "walk", SHIPPED, "--random", "300", "--seed", "3", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["never_reached"] == [] and report["dead_ends"] == {}
    assert report["outcomes"]["complete"] > 0 and report["outcomes"]["screened_out 4.70"] > 0


def test_walk_reports_a_dead_end(run_cli, tmp_path):
    form_file = write(tmp_path, "dead.md", """
    | survey |
    | | type | name | label | constraint | required |
    | | integer | n | N | . > 5 and . < 3 | yes |
    """)
    result = run_cli("form", "walk", form_file, "--random", "3")
    assert result.returncode == 1
    assert "dead end: survey:2: no answer was accepted for 'n'" in result.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"PK\x03\x04 broken zip", "not a readable .xlsx workbook"),
        (b"", "not a readable .xlsx workbook"),
    ],
)
def test_bad_workbook_gives_one_line_and_exit_1(run_cli, tmp_path, content, expected):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(content)
    for command in (("form", "check", path),
                    ("form", "run", path, "--answers", path),
                    ("form", "walk", path, "--random", "1")):
        result = run_cli(*command)
        assert result.returncode == 1
        output = (result.stdout + result.stderr).strip()
        assert expected in output
        assert "Traceback" not in output
        assert len(output.splitlines()) == 1


def test_check_prints_one_line_per_error(run_cli, tmp_path):
    form_file = write(tmp_path, "bad.md", """
    | survey |
    | | type | name | label | relevant |
    | | text | a | A | ${zz} = 1 |
    | | text | a | B | |
    | | select_one none | s | S | |
    """)
    result = run_cli("form", "check", form_file)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "survey:2: relevant: ${zz} names no question",
        "survey:3: name: the name 'a' is already used on row 2",
        "survey:4: type: choice list 'none' is not on the choices sheet",
    ]


def test_answers_file_that_is_not_json(run_cli, tmp_path):
    answers = tmp_path / "a.json"
    answers.write_text("{not json")
    result = run_cli("form", "run", SHIPPED, "--answers", answers)
    assert result.returncode == 1
    assert result.stderr.startswith("cati: ") and "not a JSON file" in result.stderr


def test_check_names_the_row_of_a_pattern_that_needs_backtracking(run_cli, tmp_path):
    form_file = write(tmp_path, "regex.md", r"""
    | survey |
    | | type | name | label | constraint |
    | | text | email | E-mail | regex(., '^[\w-\.]+@[\w-]+\.[a-z]{2,}$') |
    | | text | twice | Twice | regex(., '^(\d)\1$') |
    | | text | ahead | Ahead | regex(., '^(?=.*\d).{8,}$') |
    """)
    result = run_cli("form", "check", form_file)
    assert result.returncode == 1
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        "survey:3: constraint: regex() pattern uses a feature cati cannot run in linear time:"
        r" backreference at character 10 in 'regex(., '^(\d)\1$')'",
        "survey:4: constraint: regex() pattern uses a feature cati cannot run in linear time:"
        r" lookaround at character 10 in 'regex(., '^(?=.*\d).{8,}$')'",
    ]
