"""Forms pyxform accepts load in cati: its spellings and aliases, loops, smart quotes, the same
name in different groups, SurveyCTO's ``value`` column; phone-impossible items are skipped with a
warning instead of refusing the form."""

from __future__ import annotations

import textwrap

import pytest
from forms import current_name, form, play, start

from cati.questionnaire.lint import check_form
from cati.questionnaire.problems import FormError

YES_NO = """
| choices |
| | list_name | name | label |
| | yn | yes | Yes |
| | yn | no | No |
"""


def problems_of(markdown: str) -> list[str]:
    with pytest.raises(FormError) as caught:
        form(markdown)
    return [str(problem) for problem in caught.value.problems]


def warnings_of(markdown: str) -> list[str]:
    report = check_form(textwrap.dedent(markdown), "test.md")
    assert report.usable, [str(p) for p in report.errors]
    return [str(problem) for problem in report.warnings if problem.sheet != "file"]


# -- spellings pyxform accepts ------------------------------------------------------------------
@pytest.mark.parametrize("spelling, kind", [
    ("select one from yn", "select_one"),
    ("select1 yn", "select_one"),
    ("add select one prompt using yn", "select_one"),
    ("select all that apply from yn", "select_multiple"),
    ("select all that apply yn", "select_multiple"),
    ("add select multiple prompt using yn", "select_multiple"),
])
def test_select_spellings(spelling, kind):
    loaded = form(f"""
    | survey |
    | | type | name | label |
    | | {spelling} | q | Q |
    {YES_NO}""")
    assert loaded.item("q").kind == kind
    assert [c.name for c in loaded.choices_of(loaded.item("q"))] == ["yes", "no"]


@pytest.mark.parametrize("ending", ["or_other", "or specify other", "or other"])
def test_or_other_spellings_add_the_specify_question(ending):
    engine = start(f"""
    | survey |
    | | type | name | label |
    | | select_one yn {ending} | q | Q |
    | | note | done | Done |
    {YES_NO}""")
    play(engine, "other")
    assert current_name(engine) == "q_other"
    play(engine, "a neighbour")
    assert engine.final_answers() == {"q": "other", "q_other": "a neighbour"}


@pytest.mark.parametrize("spelling, kind", [
    ("add text prompt", "text"), ("q string", "text"), ("add integer prompt", "integer"),
    ("q int", "integer"), ("add decimal prompt", "decimal"), ("add date prompt", "date"),
    ("date time", "dateTime"), ("add note prompt", "note"), ("q acknowledge", "acknowledge"),
    ("add calculate prompt", "calculate"),
])
def test_question_type_aliases(spelling, kind):
    calculation = "1" if kind == "calculate" else ""
    loaded = form(f"""
    | survey |
    | | type | name | label | calculation |
    | | {spelling} | q | Q | {calculation} |
    """)
    assert loaded.item("q").kind == kind


def test_phone_number_accepts_digits_only_and_keeps_the_rows_own_constraint():
    engine = start("""
    | survey |
    | | type | name | label | constraint |
    | | phone number | tel | Your number? | string-length(.) >= 5 |
    | | note | done | Done | |
    """)
    assert engine.answer("138-0013") is not None
    assert engine.answer("1234") is not None
    play(engine, "13800138000")
    assert engine.final_answers() == {"tel": "13800138000"}


def test_percentage_is_an_integer_from_0_to_100():
    engine = start("""
    | survey |
    | | type | name | label |
    | | percentage | share | Share? |
    """)
    assert engine.answer("101") is not None
    play(engine, "100")


@pytest.mark.parametrize("spelling", ["imei", "uri:deviceid", "device id", "get start time",
                                      "start time", "uri:username", "get today"])
def test_metadata_spellings_are_recorded_by_cati_with_a_warning(spelling):
    assert warnings_of(f"""
    | survey |
    | | type | name | label |
    | | {spelling} | m1 | |
    | | text | t | T |
    """) == [f"survey:2: warning: type: '{spelling}' is recorded by cati itself; the row is "
             "ignored"]


def test_begin_loop_over_a_list_asks_the_rows_once_per_choice():
    loaded = form("""
    | survey |
    | | type | name | label |
    | | begin loop over meals | m | |
    | | integer | days | Days a week with %(label)s? |
    | | end loop | | |
    | choices |
    | | list_name | name | label |
    | | meals | breakfast | breakfast |
    | | meals | lunch | lunch |
    | | meals | none | none of them |
    """)
    assert [(i.name, i.labels["default"], i.groups) for i in loaded.items] == [
        ("m.breakfast.days", "Days a week with breakfast?", ("m", "breakfast")),
        ("m.lunch.days", "Days a week with lunch?", ("m", "lunch")),
    ]


def test_loop_rows_keep_one_answer_per_choice_under_the_same_name():
    engine = start("""
    | survey |
    | | type | name | label::English | label::中文 (zh) |
    | | begin loop over meals | m | | |
    | | integer | days | Days with %(label)s? | %(label)s几天? |
    | | end loop | | | |
    | choices |
    | | list_name | name | label::English | label::中文 (zh) |
    | | meals | b | breakfast | 早餐 |
    | | meals | l | lunch | 午餐 |
    """, language="English")
    assert engine.current().item.labels == {"English": "Days with breakfast?",
                                           "中文 (zh)": "早餐几天?"}
    play(engine, "7", "5")
    assert engine.final_answers() == {"m.b.days": "7", "m.l.days": "5"}


# -- smart quotes -------------------------------------------------------------------------------
@pytest.mark.parametrize("relevant", ["${a} = ’yes’", "${a} = ‘yes’", "${a} = “yes”"])
def test_smart_quotes_in_an_expression_read_as_plain_quotes(relevant):
    engine = start(f"""
    | survey |
    | | type | name | label | relevant |
    | | select_one yn | a | A | |
    | | text | b | B | {relevant} |
    | | note | done | Done | |
    {YES_NO}""")
    play(engine, "no")
    assert current_name(engine) == "done"
    engine.back()
    play(engine, "yes")
    assert current_name(engine) == "b"


def test_quotes_inside_a_string_literal_stay_as_written():
    engine = start("""
    | survey |
    | | type | name | label | calculation |
    | | text | a | A | |
    | | calculate | n | | string-length(translate(${a}, '“”', '')) |
    """)
    play(engine, "“x”")
    assert engine.final_answers()["n"] == "1"


# -- phone-impossible items ---------------------------------------------------------------------
PHONE_IMPOSSIBLE = ["geopoint", "geotrace", "geoshape", "image", "photo", "audio", "video",
                    "barcode", "file", "gps", "background-audio",
                    "add location prompt", "q picture"]


@pytest.mark.parametrize("kind", PHONE_IMPOSSIBLE)
def test_phone_impossible_items_are_skipped_and_read_as_empty(kind):
    engine = start(f"""
    | survey |
    | | type | name | label | calculation |
    | | text | before | Before | |
    | | {kind} | x | X | |
    | | calculate | seen | | concat('[', ${{x}}, ']') |
    | | text | after | After ${{x}} | |
    """)
    play(engine, "hello")
    assert current_name(engine) == "after"
    assert engine.current().label == "After "
    play(engine, "bye")
    assert engine.outcome.state == "complete"
    assert engine.final_answers() == {"before": "hello", "seen": "[]", "after": "bye"}


def test_phone_impossible_items_are_warnings_naming_the_row():
    assert warnings_of("""
    | survey |
    | | type | name | label | appearance |
    | | text | a | A | |
    | | gps | where | Where are you? | |
    | | image | sign | Sign here | signature |
    | | photo | face | Photo | |
    """) == [
        "survey:3: warning: type: geopoint cannot be asked on the phone; it will be skipped",
        "survey:4: warning: type: signature cannot be asked on the phone; it will be skipped",
        "survey:5: warning: type: image cannot be asked on the phone; it will be skipped",
    ]


def test_form_check_prints_the_warning_and_passes(run_cli, tmp_path):
    path = tmp_path / "field.md"
    path.write_text(textwrap.dedent("""
    | survey |
    | | type | name | label |
    | | text | a | A |
    | | geopoint | where | Where are you? |
    """), encoding="utf-8")
    result = run_cli("form", "check", path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "survey:3: warning: type: geopoint cannot be asked on the phone; it will be skipped" \
        in lines
    assert lines[-1].startswith("ok: field version : 1 questions")


# -- pyxform's leniencies -----------------------------------------------------------------------
def test_surveycto_value_column_names_the_choices():
    engine = start("""
    | survey |
    | | type | name | label |
    | | select_one yn | a | A |
    | choices |
    | | list_name | value | label |
    | | yn | 1 | Yes |
    | | yn | 2 | No |
    """)
    assert [c.name for c in engine.current().choices] == ["1", "2"]
    play(engine, "2")
    assert engine.final_answers() == {"a": "2"}


def test_duplicate_choices_are_an_error_unless_the_settings_allow_them():
    markdown = """
    | survey |
    | | type | name | label |
    | | select_one yn | a | A |
    | choices |
    | | list_name | name | label |
    | | yn | 1 | Yes |
    | | yn | 1 | Yes, certainly |
    """
    assert problems_of(markdown) == ["choices:3: name: choice '1' appears twice in list 'yn'"]
    allowed = form(markdown + """
    | settings |
    | | allow_choice_duplicates |
    | | yes |
    """)
    assert [c.labels["default"] for c in allowed.choices["yn"]] == ["Yes", "Yes, certainly"]


def test_a_choice_row_without_a_list_name_is_left_out_with_a_warning():
    assert warnings_of("""
    | survey |
    | | type | name | label |
    | | select_one yn | a | A |
    | choices |
    | | list_name | name | label |
    | | yn | 1 | Yes |
    | | | | (the rest are refusals) |
    """) == ["choices:3: warning: list_name: a choice without a list_name is in no list; it "
             "is ignored"]


def test_the_same_name_in_different_groups_keeps_both_answers():
    engine = start("""
    | survey |
    | | type | name | label |
    | | begin group | father | Father |
    | | integer | age | Age? |
    | | end group | | |
    | | begin group | mother | Mother |
    | | integer | age | Age? |
    | | end group | | |
    """)
    play(engine, "60", "58")
    assert engine.final_answers() == {"father.age": "60", "mother.age": "58"}


def test_the_same_name_twice_in_one_group_is_an_error():
    assert problems_of("""
    | survey |
    | | type | name | label |
    | | begin group | g | G |
    | | integer | age | Age? |
    | | integer | age | Age again? |
    | | end group | | |
    """) == ["survey:4: name: the name 'age' is already used on row 3"]


def test_a_reference_to_a_name_used_in_two_groups_is_refused():
    assert problems_of("""
    | survey |
    | | type | name | label | relevant |
    | | begin group | father | Father | |
    | | integer | age | Age? | |
    | | end group | | | |
    | | begin group | mother | Mother | |
    | | integer | age | Age? | |
    | | end group | | | |
    | | text | who | Who? | ${age} > 18 |
    """) == ["survey:8: relevant: ${age} is ambiguous: the name 'age' is used more than once in "
             "the form (in different groups)"]


def test_a_note_without_a_name_is_named_as_pyxform_names_it():
    loaded = form("""
    | survey |
    | | type | name | label |
    | | note | | Welcome |
    | | text | a | A |
    """)
    assert [item.name for item in loaded.items] == ["generated_note_name_2", "a"]


def test_a_row_without_type_name_or_label_is_a_comment_skipped_with_a_warning():
    assert warnings_of("""
    | survey |
    | | type | name | label | hint |
    | | text | a | A | |
    | | | | | ask gently |
    """) == ["survey:3: warning: a row without type, name or label is skipped (a comment)"]


def test_a_row_with_a_name_but_no_type_is_an_error():
    assert problems_of("""
    | survey |
    | | type | name | label |
    | | text | a | A |
    | | | b | B |
    """) == ["survey:3: type: a row with content needs a type"]


# -- columns that used to be dropped --------------------------------------------------------------
@pytest.mark.parametrize("relevant, constraint", [("bind::relevant", "bind::constraint"),
                                                  ("bind:relevant", "bind:constraint")])
def test_bind_columns_are_honoured(relevant, constraint):
    engine = start(f"""
    | survey |
    | | type | name | label | {relevant} | {constraint} | bind::jr:constraintMsg |
    | | integer | n | How many? | | . < 10 | fewer than 10 |
    | | text | why | Why so many? | ${{n}} > 5 | | |
    | | note | done | Done | | | |
    """)
    assert engine.answer("50") == "fewer than 10"
    play(engine, "3")
    assert current_name(engine) == "done"


def test_the_old_single_colon_bind_spelling_is_warned_about():
    assert warnings_of("""
    | survey |
    | | type | name | label | bind:relevant |
    | | integer | n | N | |
    | | text | t | T | ${n} > 1 |
    """) == ["survey: warning: bind:relevant: the old spelling 'bind:relevant' is honoured as "
             "'relevant', but pyxform ignores it (ODK would not apply it): write 'relevant'"]


def test_a_calculate_with_a_trigger_changes_only_when_the_trigger_does():
    engine = start("""
    | survey |
    | | type | name | label | calculation | trigger |
    | | integer | a | A | | |
    | | integer | b | B | | |
    | | calculate | at_a | | ${a} + ${b} | ${a} |
    | | calculate | live | | ${a} + ${b} | |
    | | note | n | ${at_a} ${live} | | |
    """)
    play(engine, "1", "2")
    assert engine.current().label == "NaN 3"
    engine.back()
    engine.back()
    play(engine, "10", "2")
    assert engine.current().label == "12 12"
    assert engine.final_answers()["at_a"] == "12"


def test_a_trigger_before_its_question_is_answered_leaves_the_value_empty():
    engine = start("""
    | survey |
    | | type | name | label | calculation | trigger |
    | | calculate | stamp | | 'set' | ${a} |
    | | note | n | [${stamp}] | | |
    | | integer | a | A | | |
    """)
    assert engine.current().label == "[]"


def test_readonly_holding_an_expression_locks_the_question_while_it_holds():
    engine = start("""
    | survey |
    | | type | name | label | readonly | default |
    | | integer | a | A | | |
    | | integer | b | B | ${a} > 5 | 3 |
    | | note | done | Done | | |
    """)
    play(engine, "7")
    assert engine.current().read_only
    play(engine, "99")
    assert engine.final_answers() == {"a": "7"}
    engine.back()
    engine.back()
    play(engine, "1")
    assert not engine.current().read_only
    play(engine, "4")
    assert engine.final_answers() == {"a": "1", "b": "4"}


def test_columns_cati_does_not_use_and_the_entities_sheet_are_warned_about():
    assert warnings_of("""
    | survey |
    | | type | name | label | guidance_hint | media::image |
    | | text | a | A | Ask slowly | a.png |
    | entities |
    | | list_name | label |
    | | people | ${a} |
    """) == [
        "survey:2: warning: guidance_hint: cati does not use the column 'guidance_hint'; it is "
        "ignored",
        "survey:2: warning: media::image: cati does not use the column 'media::image'; it is "
        "ignored",
        "entities: warning: the 'entities' sheet is not used by cati; it is ignored",
    ]


# -- pyxform's whole conversion -------------------------------------------------------------------
def test_what_only_pyxforms_xform_writer_refuses_is_refused_at_its_row():
    assert problems_of("""
    | survey |
    | | type | name | label | hint |
    | | text | a | A | see ${missing} |
    """) == ["survey:2: The 'hint' value is invalid. Reference variables must contain a name "
             "from the 'survey' sheet. Could not find the name 'missing'."]


def test_a_choice_label_naming_no_question_is_refused_on_the_choices_sheet():
    assert problems_of("""
    | survey |
    | | type | name | label |
    | | select_one yn | a | A |
    | choices |
    | | list_name | name | label |
    | | yn | 1 | Yes ${nope} |
    """) == ["choices:2: The 'label' value is invalid. Reference variables must contain a name "
             "from the 'survey' sheet. Could not find the name 'nope'."]


def test_cati_columns_on_the_choices_sheet_do_not_stop_pyxforms_conversion():
    loaded = form("""
    | survey |
    | | type | name | label |
    | | select_one yn | a | A |
    | choices |
    | | list_name | name | label | cati::not_read |
    | | yn | 1 | Yes | |
    | | yn | 9 | Refused | yes |
    """)
    assert [c.not_read for c in loaded.choices["yn"]] == [False, True]


def test_background_geopoint_with_its_trigger_is_skipped_with_a_warning():
    engine = start("""
    | survey |
    | | type | name | label | trigger |
    | | text | a | A | |
    | | background-geopoint | where | | ${a} |
    | | note | done | [${where}] | |
    """)
    play(engine, "x")
    assert engine.current().label == "[]"


def test_range_is_a_number_between_its_start_and_end_in_its_steps():
    engine = start("""
    | survey |
    | | type | name | label | parameters |
    | | range | score | Score? | start=1 end=9 step=2 |
    """)
    assert engine.current().hint == "1–9"
    assert engine.answer("0") is not None
    assert engine.answer("4") is not None
    assert engine.answer("11") is not None
    play(engine, "7")
    assert engine.final_answers() == {"score": "7"}


def test_range_with_pyxforms_defaults_and_decimal_steps():
    assert form("""
    | survey |
    | | type | name | label |
    | | range | level | Scale |
    """).item("level").constraint.text == ". >= 0 and . <= 10 and ((. - 0) mod 1) = 0"
    engine = start("""
    | survey |
    | | type | name | label | parameters |
    | | range | level | Scale | start=0.5 end=5.0 step=0.5 |
    """)
    assert engine.answer("0.75") is not None
    play(engine, "2.5")


def test_an_audit_row_without_a_name_is_named_audit_and_ignored():
    assert warnings_of("""
    | survey |
    | | type | name | label |
    | | audit | | |
    | | text | q | Q |
    """) == ["survey:2: warning: type: 'audit' is recorded by cati itself; the row is ignored"]


def test_form_corpus_counts_what_pyxform_and_cati_accept(tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "plain.md").write_text("| survey |\n| | type | name | label |\n| | text | a | A |\n",
                                       encoding="utf-8")
    (tmp_path / "gps.md").write_text("| survey |\n| | type | name | label |\n| | gps | g | G |\n",
                                     encoding="utf-8")
    (tmp_path / "rank.md").write_text(
        "| survey |\n| | type | name | label |\n| | rank c | r | R |\n"
        "| choices |\n| | list_name | name | label |\n| | c | a | A |\n", encoding="utf-8")
    (tmp_path / "broken.md").write_text("| survey |\n| | type | name | label |\n| | text | | A |\n",
                                        encoding="utf-8")
    script = Path(__file__).resolve().parent.parent / "scripts" / "form_corpus.py"
    result = subprocess.run([sys.executable, str(script), str(tmp_path), "--json"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "files": 4, "pyxform_ok": 3, "cati_ok": 2, "cati_ok_among_pyxform_ok": 2,
        "refusals": [{"message": "type … cannot be run in a telephone interview", "forms": 1}],
    }


def test_odk_settings_and_choice_media_cati_does_not_use_are_warned_about():
    assert warnings_of("""
    | survey |
    | | type | name | label |
    | | select_one yn | a | A |
    | choices |
    | | list_name | name | label | media::image |
    | | yn | yes | Yes | yes.png |
    | | yn | no | No | no.png |
    | settings |
    | | form_id | submission_url | instance_name |
    | | f | https://example.org/submit | concat('a', ${a}) |
    """) == [
        "choices: warning: media::image: cati does not show the media column 'media::image'; "
        "it is ignored",
        "settings:2: warning: submission_url: cati does not use the setting 'submission_url'; "
        "it is ignored",
        "settings:2: warning: instance_name: cati does not use the setting 'instance_name'; it "
        "is ignored",
    ]


def test_a_list_a_loop_walks_is_not_reported_unused():
    assert warnings_of("""
    | survey |
    | | type | name | label |
    | | begin loop over meals | m | |
    | | integer | days | Days with %(label)s? |
    | | end loop | | |
    | choices |
    | | list_name | name | label |
    | | meals | b | breakfast |
    """) == []


def test_a_stored_version_compiles_without_the_xform_step_as_it_always_did():
    from cati.questionnaire.loader import load_form

    markdown = textwrap.dedent("""
    | survey |
    | | type | name | guidance_hint |
    | | text | a | as on the identity card |
    """)
    with pytest.raises(FormError):
        load_form(markdown, "test.md")
    assert load_form(markdown, "test.md", convert=False).item("a").kind == "text"


def test_pyxforms_xform_step_errors_are_placed_at_the_row_of_the_question_they_name():
    assert problems_of("""
    | survey |
    | | type | name | label | guidance_hint |
    | | text | ok | OK | |
    | | text | a | | as on the identity card |
    """) == ["survey:3: The survey element named 'a' has no label or hint."]
    assert problems_of("""
    | survey |
    | | type | name | label | trigger | calculation |
    | | calculate | one | | | 5 + 4 |
    | | calculate | stamp | | ${one} | now() |
    """) == ["survey:3: The question ${one} is not user-visible so it can't be used as a "
             "calculation trigger for question ${stamp}."]
