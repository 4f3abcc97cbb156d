"""Repeats as a telephone interview needs them, written as inline forms: a household roster
(listed with repeat_count, or with "add another?"), the respondent chosen from it by next
birthday and by a Kish grid, instance references, the functions over instances, and going back,
jumping and resuming across instances."""

from __future__ import annotations

import pytest
from forms import CLOCK_TIME, form, play, start
from repeat_forms import ADULTS, ROSTER

from cati.questionnaire.engine import ExpressionFailure, InterviewEngine
from cati.questionnaire.problems import FormError


def roster_until_pick(hh_id: str = "1007"):
    engine = play(start(ROSTER), hh_id, str(len(ADULTS)))
    for adult in ADULTS:
        play(engine, *adult)
    return engine


def test_a_roster_with_repeat_count_asks_each_adult_and_chooses_the_respondent():
    engine = roster_until_pick()
    shown = engine.current()
    assert shown.item.name == "pick"
    # Next birthday after November: 李强 (December); Kish: 1007 mod 3 + 1 = 3, 张伟.
    assert shown.label == "请找李强接听（Kish：张伟）。成员：王芳、李强、张伟"
    assert engine.current_instance == ()
    play(engine, None)
    assert engine.current().label == "李强愿意接受访问吗？"
    play(engine, "1")
    assert engine.outcome.state == "complete"
    final = engine.final_answers()
    assert final["adults[2]/name"] == "李强"
    assert final["adults[3]/age"] == "22"
    assert final["adults[1]/position"] == "1" and final["adults[3]/position"] == "3"
    assert (final["adult_count"], final["age_total"], final["oldest"], final["youngest"]) == (
        "3", "117", "50", "22")
    assert final["birthday_name"] == "李强" and final["kish_name"] == "张伟"
    assert list(final)[:7] == ["hh_id", "n_adults", "adults[1]/name", "adults[1]/position",
                               "adults[1]/sex", "adults[1]/age", "adults[1]/bmonth"]


def test_inside_a_repeat_a_reference_means_the_same_instance():
    engine = play(start(ROSTER), "1007", "2", "王芳", "2")
    shown = engine.current()
    assert (shown.key, shown.instance, shown.label) == ("adults[1]/age", (1,), "王芳的年龄？")
    play(engine, "45", "3")
    shown = engine.current()
    assert (shown.key, shown.label) == ("adults[2]/name", "第2位成年人的姓名？")
    play(engine, "李强", "1")
    assert engine.current().label == "李强的年龄？"
    assert engine.answer("17") == "答案不符合要求。 (This answer is not allowed.)"
    assert engine.path == ["hh_id", "n_adults", "adults[1]/name", "adults[1]/sex",
                           "adults[1]/age", "adults[1]/bmonth", "adults[2]/name",
                           "adults[2]/sex", "adults[2]/age"]


def test_a_repeat_count_of_zero_skips_the_repeat():
    engine = play(start("""
        | survey |
        | | type | name | label | repeat_count |
        | | integer | kids | 几个孩子？ | |
        | | begin repeat | child | 孩子 | ${kids} |
        | | text | child_name | 孩子的名字？ | |
        | | end repeat | | | |
        | | text | last | 最后一题 | |
        """), "0")
    assert engine.path == ["kids", "last"]


WITHOUT_COUNT = """
| survey |
| | type | name | label | relevant | calculation |
| | begin repeat | child | 孩子 | | |
| | text | child_name | 孩子的名字？ | | |
| | integer | child_age | ${child_name}几岁？ | | |
| | begin group | school | 上学 | ${child_age} >= 6 | |
| | text | grade | ${child_name}上几年级？ | | |
| | end group | | | | |
| | end repeat | | | | |
| | calculate | children | | | count(${child}) |
| | calculate | all | | | join(', ', ${child_name}) |
| | note | done | 共${children}个孩子：${all} | | |
"""


def test_without_repeat_count_the_interviewer_is_asked_for_another_after_each_instance():
    engine = play(start(WITHOUT_COUNT), "小明", "8", "二年级")
    shown = engine.current()
    assert shown.key == "child[1]/child@more"
    assert shown.label == "还有下一个“孩子”吗？ Add another “孩子”?"
    assert [choice.name for choice in shown.choices] == ["yes", "no"]
    assert engine.answer("") == "此题必须回答。 (An answer is required.)"
    play(engine, "yes", "小红", "4")  # under 6: the group inside the repeat is not asked
    assert engine.current().key == "child[2]/child@more"
    play(engine, "no")
    assert engine.current().label == "共2个孩子：小明, 小红"
    final = play(engine, None).final_answers()
    assert final == {"child[1]/child_name": "小明", "child[1]/child_age": "8",
                     "child[1]/grade": "二年级", "child[2]/child_name": "小红",
                     "child[2]/child_age": "4", "children": "2", "all": "小明, 小红"}


def test_back_and_jump_cross_instances_and_a_smaller_count_drops_the_last_instance():
    engine = roster_until_pick()
    assert engine.jump("adults[2]/age")
    assert engine.current().label == "李强的年龄？"
    assert engine.back() and engine.current().key == "adults[2]/sex"
    for _ in range(2):
        assert engine.back()
    assert engine.current().key == "adults[1]/bmonth"
    assert engine.jump("n_adults")
    assert engine.answer_and_return("2") is None
    # The roster is shorter: the walk goes on through the kept answers to the new end.
    assert engine.current().item.name == "pick"
    assert engine.current().label == "请找李强接听（Kish：李强）。成员：王芳、李强"
    final = play(engine, None, "1").final_answers()
    assert "adults[3]/name" not in final and final["adult_count"] == "2"
    assert engine.answers["adults[3]/name"] == "张伟"  # kept, as for a question gone irrelevant


def test_saying_no_to_another_after_yes_drops_the_later_instances():
    engine = play(start(WITHOUT_COUNT), "小明", "8", "二年级", "yes", "小红", "4", "no")
    assert engine.jump("child[1]/child@more")
    assert engine.answer("no") is None
    assert engine.current().label == "共1个孩子：小明"


def test_resuming_goes_back_inside_the_right_instance():
    engine = play(start(ROSTER), "1007", "3", *ADULTS[0], "李强", "1")
    stored = engine.take_changes()
    assert stored["adults[2]/name"] == "李强" and stored["adults[1]/rank"] == "401"
    resumed = InterviewEngine.resume(engine.form, stored, seed=0, clock=lambda: CLOCK_TIME)
    assert resumed.current().key == "adults[2]/age"
    assert resumed.current().label == "李强的年龄？"
    again = InterviewEngine.resume(engine.form, stored, seed=0, clock=lambda: CLOCK_TIME,
                                   at="adults[1]/sex")
    assert again.current().key == "adults[1]/sex" and again.current().value == "2"


NESTED = """
| survey |
| | type | name | label | repeat_count | calculation |
| | integer | n_homes | 几处住所？ | | |
| | begin repeat | home | 住所 | ${n_homes} | |
| | text | place | 第${home_no}处住所在哪里？ | | |
| | calculate | home_no | | | position(..) |
| | begin repeat | person | 住户 | | |
| | text | person_name | ${place}的住户姓名？ | | |
| | calculate | where | | | concat(${place}, '-', position(..)) |
| | end repeat | | | | |
| | calculate | people_here | | | count(${person}) |
| | end repeat | | | | |
| | calculate | people | | | count(${person_name}) |
| | calculate | second_home_first | | | indexed-repeat(${person_name}, ${home}, 2, ${person}, 1) |
| | note | end | 共${people}人；第二处第一位：${second_home_first} | | |
"""


def test_nested_repeats_number_each_level_and_count_within_the_outer_instance():
    engine = play(start(NESTED), "2", "城东", "甲", "yes", "乙", "no")
    shown = engine.current()
    assert (shown.key, shown.label) == ("home[2]/place", "第2处住所在哪里？")
    play(engine, "城西", "丙")
    assert engine.current().key == "home[2]/person[1]/person@more"
    assert engine.current().label.startswith("还有下一个“住户”吗？")
    play(engine, "no")
    assert engine.current().label == "共3人；第二处第一位：丙"
    final = play(engine, None).final_answers()
    assert final["home[1]/person[2]/person_name"] == "乙"
    assert final["home[1]/person[2]/where"] == "城东-2"
    assert final["home[1]/people_here"] == "2" and final["home[2]/people_here"] == "1"


def test_a_repeat_that_is_not_relevant_is_skipped():
    engine = play(start("""
        | survey |
        | | type | name | label | relevant | repeat_count |
        | | select_one yn | has_kids | 有孩子吗？ | | |
        | | begin repeat | child | 孩子 | ${has_kids} = '1' | 2 |
        | | text | child_name | 孩子的名字？ | | |
        | | end repeat | | | | |
        | | text | last | 最后一题 | | |
        | choices |
        | | list_name | name | label |
        | | yn | 1 | 有 |
        | | yn | 2 | 没有 |
        """), "2")
    assert engine.path == ["has_kids", "last"]
    engine.back()
    play(engine, "1", "甲", "乙")
    assert engine.path == ["has_kids", "child[1]/child_name", "child[2]/child_name", "last"]


@pytest.mark.parametrize(("rows", "message"), [
    pytest.param("| | begin repeat | r | R |\n| | text | a | A |",
                 "survey:2: type: repeat 'r' is never closed with 'end repeat'", id="unclosed"),
    pytest.param("| | begin repeat | r | R |\n| | text | a | A |\n| | end group | | |",
                 "survey:4: type: 'end group' cannot close repeat 'r' (use 'end repeat')",
                 id="closed as a group"),
    pytest.param("| | text | a | A |\n| | end repeat | | |",
                 "survey:3: type: 'end repeat' without a 'begin repeat'", id="stray end"),
    # A question may share its repeat's name (pyxform allows it: another level); a sibling
    # may not.
    pytest.param("| | begin repeat | a | R |\n| | text | b | B |\n| | end repeat | | |\n"
                 "| | text | a | A |",
                 "survey:5: name: the name 'a' is already used on row 2", id="same name"),
])
def test_malformed_repeats_are_refused_with_the_row(rows, message):
    with pytest.raises(FormError) as caught:
        form(f"| survey |\n| | type | name | label |\n{rows}\n")
    assert message in [str(problem) for problem in caught.value.problems]


def test_parent_steps_are_only_position_of_the_parent():
    with pytest.raises(FormError) as caught:
        form("""
            | survey |
            | | type | name | label | calculation |
            | | begin repeat | r | R | |
            | | text | a | A | |
            | | calculate | c | | count(..) |
            | | end repeat | | | |
            """)
    assert "'..' is supported only as position(..)" in str(caught.value)


def test_position_outside_a_repeat_says_so():
    engine = start("""
        | survey |
        | | type | name | label | calculation |
        | | begin repeat | r | R | |
        | | text | a | A | |
        | | end repeat | | | |
        | | calculate | c | | position(..) |
        | | note | n | ${c} | |
        """)
    play(engine, "x", "no")
    with pytest.raises(ExpressionFailure, match=r"survey:5: calculation: .*only meaningful inside"):
        engine.current()


def test_names_that_would_make_too_long_answer_keys_are_refused():
    long = "a" * 60
    with pytest.raises(FormError) as caught:
        form(f"""
            | survey |
            | | type | name | label |
            | | begin repeat | {long} | R |
            | | text | {long}x | A |
            | | end repeat | | |
            """)
    assert "longer than 128 characters: use shorter names" in str(caught.value)


PLOTS = """
| survey |
| | type | name | label | relevant | choice_filter | repeat_count | calculation |
| | begin repeat | plot | 地块 | | | | |
| | select_one crop | crop | 这块地种什么？ | | | | |
| | select_one crop | other_crop | 还种什么？ | | name != ${crop} | | |
| | begin repeat | visit | 走访 | ${crop} = 'maize' | | 2 | |
| | text | record | 第${visit_no}次走访${crop}地的记录 | | | | |
| | calculate | visit_no | | | | | position(..) |
| | end repeat | | | | | | |
| | end repeat | | | | | | |
| | calculate | second_visit | | | | | indexed-repeat(${record}, ${plot}, 1, ${visit}, 2) |
| | note | done | ${second_visit} | | | | |
| choices |
| | list_name | name | label |
| | crop | maize | 玉米 |
| | crop | beans | 豆子 |
| | crop | kale | 甘蓝 |
"""


def test_choice_filters_and_inner_repeats_see_the_outer_instance():
    engine = play(start(PLOTS), "maize")
    assert [choice.name for choice in engine.current().choices] == ["beans", "kale"]
    play(engine, "kale")
    shown = engine.current()
    assert (shown.key, shown.label) == ("plot[1]/visit[1]/record", "第1次走访maize地的记录")
    play(engine, "松土", "施肥")
    assert engine.current().key == "plot[1]/plot@more"
    play(engine, "yes", "beans")
    assert [choice.name for choice in engine.current().choices] == ["maize", "kale"]
    play(engine, "maize")  # beans: the visits are not asked in this plot
    assert engine.current().key == "plot[2]/plot@more"
    play(engine, "no")
    assert engine.current().label == "施肥"


def test_resuming_a_roster_without_count_comes_back_to_the_second_child():
    engine = play(start(WITHOUT_COUNT), "小明", "8", "二年级", "yes", "小红")
    resumed = InterviewEngine.resume(engine.form, engine.take_changes(), seed=0,
                                     clock=lambda: CLOCK_TIME)
    shown = resumed.current()
    assert (shown.key, shown.label) == ("child[2]/child_age", "小红几岁？")
    assert resumed.instance_caption() == "孩子 2 / 2"
    assert resumed.instance_caption("child[1]/grade") == "孩子 1 / 2"
