"""The interview engine, driven by inline forms: types, columns, flow, outcomes."""

from __future__ import annotations

import pytest
from forms import current_name, form, play, start

from cati.questionnaire.engine import InterviewEngine

SCREENING = """
| survey |
| | type | name | label | relevant | constraint | cati::disposition | required |
| | note | intro | Hello | | | | |
| | integer | age | Age? | | . >= 0 and . <= 120 | | yes |
| | select_one yn | other_adult | Another adult? | ${age} < 18 | | | yes |
| | note | end_minor | Thank you, adults only. | ${age} < 18 and ${other_adult} = '2' | | 4.70 | |
| | integer | age_adult | Their age? | ${other_adult} = '1' | . >= 18 | | yes |
| | select_one yn | resident | Lived here a year? | | | | yes |
| | note | end_thanks | Thanks | | | | |
| choices |
| | list_name | name | label |
| | yn | 1 | Yes |
| | yn | 2 | No |
"""


def test_complete_path_and_answers():
    engine = play(start(SCREENING), None, "40", "1", None)
    assert engine.outcome.state == "complete"
    assert engine.outcome.disposition == "1.1"
    assert engine.path == ["intro", "age", "resident", "end_thanks"]
    assert engine.final_answers() == {"age": "40", "resident": "1"}
    assert engine.current_item is None


def test_screen_out_ends_with_its_code_and_shows_closing_words():
    engine = play(start(SCREENING), None, "15", "2")
    assert engine.outcome.state == "screened_out"
    assert engine.outcome.disposition == "4.70"
    assert current_name(engine) == "end_minor"
    assert engine.current().label == "Thank you, adults only."
    assert engine.answer() is None and engine.outcome.disposition == "4.70"  # stays ended


def test_minor_hands_over_to_an_adult():
    engine = play(start(SCREENING), None, "15", "1", "45", "1", None)
    assert engine.outcome.state == "complete"
    assert engine.path == ["intro", "age", "other_adult", "age_adult", "resident", "end_thanks"]


def test_constraint_and_required_messages():
    engine = play(start(SCREENING), None)
    assert engine.answer("130") == "答案不符合要求。 (This answer is not allowed.)"
    assert engine.answer("") == "此题必须回答。 (An answer is required.)"
    assert engine.answer("abc") == "请输入整数。 (Enter a whole number.)"
    assert current_name(engine) == "age"  # nothing advanced
    english = play(start(SCREENING, language="English (en)"), None)
    assert english.answer("") == "An answer is required."
    chinese = play(start(SCREENING, language="中文 (zh)"), None)
    assert chinese.answer("") == "此题必须回答。"


def test_custom_messages_in_the_interview_language():
    engine = start("""
    | survey |
    | | type | name | label | constraint | constraint_message::中文 (zh) | constraint_message::English (en) | required | required_message::English (en) |
    | | integer | n | N | . > 5 | 必须大于5 | Must be over 5 | yes | Please answer |
    """, language="English (en)")
    assert engine.answer("3") == "Must be over 5"
    assert engine.answer(None) == "Please answer"
    engine.set_language("中文 (zh)")
    assert engine.answer("3") == "必须大于5"


def test_back_keeps_later_answers_and_rechecks_relevance():
    engine = play(start(SCREENING), None, "15", "1", "45")
    assert current_name(engine) == "resident"
    assert engine.back() and current_name(engine) == "age_adult"
    assert engine.back() and engine.back() and current_name(engine) == "age"
    assert engine.current().value == "15"
    play(engine, "30")  # now other_adult and age_adult are not relevant
    assert current_name(engine) == "resident"
    play(engine, "1", None)
    assert engine.final_answers() == {"age": "30", "resident": "1"}  # dropped: not relevant
    assert engine.answers["age_adult"] == "45"  # kept, in case the interviewer goes back


def test_back_from_a_screen_out_reopens_the_interview():
    engine = play(start(SCREENING), None, "15", "2")
    assert engine.finished
    assert engine.back() and not engine.finished
    play(engine, "1", "20", "1", None)
    assert engine.outcome.state == "complete"


def test_jump_to_any_presented_item():
    engine = play(start(SCREENING), None, "40")
    assert engine.jump("intro") and current_name(engine) == "intro"
    assert not engine.jump("age_adult")  # never presented
    assert not engine.jump("nope")


def test_resume_from_stored_answers():
    compiled = form(SCREENING)
    engine = InterviewEngine.resume(compiled, {"age": "15", "other_adult": "1"}, seed=0,
                                    clock=lambda: None)
    assert current_name(engine) == "age_adult"
    assert engine.path == ["intro", "age", "other_adult", "age_adult"]
    at = InterviewEngine.resume(compiled, {"age": "15", "other_adult": "1"}, seed=0,
                                clock=lambda: None, at="age")
    assert current_name(at) == "age"
    done = InterviewEngine.resume(compiled, {"age": "15", "other_adult": "2"}, seed=0,
                                  clock=lambda: None)
    assert done.outcome.disposition == "4.70"


def test_group_relevance_applies_to_its_items():
    engine = start("""
    | survey |
    | | type | name | label | relevant |
    | | select_one yn | aware | Aware? | |
    | | begin group | campaign | Campaign | ${aware} = '1' |
    | | text | detail | Detail | |
    | | text | more | More | |
    | | end group | | | |
    | | text | last | Last | |
    | choices |
    | | list_name | name | label |
    | | yn | 1 | Yes |
    | | yn | 2 | No |
    """)
    play(engine, "2")
    assert current_name(engine) == "last"
    engine.back()
    play(engine, "1")
    assert current_name(engine) == "detail"
    assert engine.form.item("more").groups == ("campaign",)


@pytest.mark.parametrize(
    ("kind", "good", "stored", "bad"),
    [
        ("integer", " 042 ", "42", "4.2"),
        ("decimal", "3.50", "3.50", "3,5"),
        ("date", "2026-02-28", "2026-02-28", "2026-02-30"),
        ("time", "09:30", "09:30", "25:00"),
        ("dateTime", "2026-11-23T09:30:00+08:00", "2026-11-23T09:30:00+08:00", "yesterday"),
        ("text", "  有建议 ", "  有建议 ", None),
        ("acknowledge", "OK", "OK", None),
    ],
)
def test_types_validate_and_normalise(kind, good, stored, bad):
    md = f"""
    | survey |
    | | type | name | label |
    | | {kind} | q | Q |
    | | note | n | end |
    """
    if bad is not None:
        engine = start(md)
        assert engine.answer(bad) is not None
    engine = play(start(md), good)
    assert engine.answers["q"] == stored


def test_select_one_and_multiple_take_only_offered_choices():
    engine = start("""
    | survey |
    | | type | name | label |
    | | select_one c | one | One |
    | | select_multiple c | many | Many |
    | choices |
    | | list_name | name | label |
    | | c | a | A |
    | | c | b | B |
    | | c | c | C |
    """)
    assert engine.answer("z").startswith("请选择列出的选项之一。")
    assert engine.answer("a b").startswith("此题只能选一项。")
    play(engine, "b")
    assert engine.answer(["a", "x"]) is not None
    play(engine, ["c", "a", "c"])
    assert engine.answers["many"] == "a c"  # in list order, once each


def test_select_or_other_adds_the_choice_and_the_follow_up():
    engine = start("""
    | survey |
    | | type | name | label |
    | | select_one fruit or_other | fruit | Fruit? |
    | choices |
    | | list_name | name | label |
    | | fruit | apple | Apple |
    """)
    assert [c.name for c in engine.current().choices] == ["apple", "other"]
    play(engine, "other")
    assert current_name(engine) == "fruit_other"
    play(engine, "durian")
    assert engine.final_answers() == {"fruit": "other", "fruit_other": "durian"}


def test_choice_filter_uses_choice_columns_and_answers():
    engine = start("""
    | survey |
    | | type | name | label | choice_filter |
    | | select_one county | county | County | |
    | | select_one town | town | Town | county = ${county} |
    | choices |
    | | list_name | name | label | county |
    | | county | py | 平舆 | |
    | | county | sc | 上蔡 | |
    | | town | gh | 古槐街道 | py |
    | | town | qh | 清河街道 | py |
    | | town | ct | 蔡都街道 | sc |
    """)
    play(engine, "py")
    assert [c.name for c in engine.current().choices] == ["gh", "qh"]
    assert engine.answer("ct") is not None  # not offered now
    play(engine, "qh")


def test_randomized_choices_are_reproducible_per_interview():
    md = """
    | survey |
    | | type | name | label | parameters |
    | | select_one n | q | Q | randomize=true |
    | choices |
    | | list_name | name | label |
    """ + "".join(f"    | | n | {i} | Option {i} |\n" for i in range(12))
    compiled = form(md)
    first = [c.name for c in start(compiled, seed=7).current().choices]
    again = [c.name for c in start(compiled, seed=7).current().choices]
    other = [c.name for c in start(compiled, seed=8).current().choices]
    assert first == again
    assert sorted(first) == sorted(other) and first != other
    assert first != [str(i) for i in range(12)]


def test_calculate_default_read_only_and_label_piping():
    engine = start("""
    | survey |
    | | type | name | label | calculation | default | read_only |
    | | integer | born | Year born? | | 1980 | |
    | | calculate | age | | 2026 - ${born} | | |
    | | note | show | You are ${age} | | | |
    | | text | fixed | Fixed | | locked | yes |
    """)
    assert engine.current().value == "1980"  # the default is offered
    play(engine, "1990")
    assert engine.current().label == "You are 36"
    play(engine, None)
    assert current_name(engine) == "fixed"
    play(engine, "ignored")  # read-only: nothing to type
    assert engine.final_answers() == {"born": "1990", "age": "36"}


def test_once_keeps_the_first_value():
    engine = start("""
    | survey |
    | | type | name | label | calculation |
    | | integer | n | N | |
    | | calculate | first_n | | once(${n}) |
    | | integer | m | M | |
    """)
    play(engine, "5")
    assert engine.take_changes() == {"first_n": "5", "n": "5"}
    engine.back()
    play(engine, "9")
    assert engine.final_answers()["first_n"] == "5"


def test_required_as_an_expression():
    engine = start("""
    | survey |
    | | type | name | label | required |
    | | select_one yn | has_phone | Has a phone? | yes |
    | | text | number | Number | ${has_phone} = '1' |
    | choices |
    | | list_name | name | label |
    | | yn | 1 | Yes |
    | | yn | 2 | No |
    """)
    play(engine, "2", "")
    assert engine.outcome.state == "complete"
    engine = play(start(engine.form), "1")
    assert engine.answer("") is not None


def test_translations_and_hints():
    engine = start("""
    | survey |
    | | type | name | label::中文 (zh) | label::English (en) | hint::中文 (zh) | hint::English (en) |
    | | select_one s | safety | 您觉得安全吗? | Do you feel safe? | 不读出8 | Do not read 8 |
    | choices |
    | | list_name | name | label::中文 (zh) | label::English (en) |
    | | s | 1 | 安全 | Safe |
    | | s | 8 | 说不清 | Don't know |
    | settings |
    | | default_language |
    | | 中文 (zh) |
    """)
    shown = engine.current()
    assert (shown.label, shown.hint) == ("您觉得安全吗?", "不读出8")
    engine.set_language("English (en)")
    shown = engine.current()
    assert (shown.label, shown.hint) == ("Do you feel safe?", "Do not read 8")
    assert engine.form.text(shown.choices[1].labels, "English (en)") == "Don't know"
    assert engine.form.languages == ("中文 (zh)", "English (en)")


def test_take_changes_reports_what_to_save():
    engine = play(start(SCREENING), None, "40")
    assert engine.take_changes() == {"age": "40"}
    assert engine.take_changes() == {}


FUNCTIONS_FORM = """
| survey |
| | type | name | label | calculation | relevant | constraint |
| | select_multiple w | worries | Worries? | | | count-selected(.) <= 2 |
| | select_one w | main | Main worry? | | | selected(${worries}, .) |
| | date | since | Since when? | | | . <= today() |
| | calculate | n_worries | | count-selected(${worries}) | | |
| | calculate | first_worry | | selected-at(${worries}, 0) | | |
| | calculate | main_label | | jr:choice-name(${main}, '${main}') | | |
| | calculate | summary | | concat('W', ':', string-length(${main_label}), ':', if(${n_worries} > 1, 'many', 'one')) | | |
| | calculate | days | | int(decimal-date-time(today()) - decimal-date-time(${since})) | | |
| | calculate | stamp | | format-date(${since}, '%Y年%n月%e日') | | |
| | calculate | pick | | once(round(random() * 1000)) | | |
| | calculate | tag | | coalesce(${missing_text}, 'none') | | |
| | text | missing_text | Anything? | | false() | |
| | note | show | ${main_label} since ${stamp} (${days} days) | | | |
| choices |
| | list_name | name | label |
| | w | theft | 盗窃 |
| | w | fraud | 电信诈骗 |
| | w | gangs | 黑恶势力 |
"""


def test_functions_through_a_form():
    compiled = form(FUNCTIONS_FORM)
    engine = start(compiled, seed=3)
    assert engine.answer(["theft", "fraud", "gangs"]) is not None  # constraint: at most two
    play(engine, ["gangs", "fraud"])
    assert engine.answer("theft") is not None  # must be one of the worries given
    play(engine, "fraud")
    assert engine.answer("2030-01-01") is not None  # after today (2026-11-23)
    play(engine, "2026-11-01")
    assert engine.current().label == "电信诈骗 since 2026年11月1日 (22 days)"
    final = engine.final_answers()
    assert final["n_worries"] == "2" and final["first_worry"] == "fraud"
    assert final["summary"] == "W:4:many" and final["tag"] == "none"
    assert "missing_text" not in final
    twin = play(start(compiled, seed=3), ["gangs", "fraud"], "fraud", "2026-11-01")
    assert twin.final_answers()["pick"] == final["pick"]  # random() is seeded per interview
    engine.back()
    engine.back()
    play(engine, "gangs", "2026-10-01")
    assert engine.final_answers()["pick"] == final["pick"]  # once() keeps its first value
    assert engine.final_answers()["days"] == "53"
