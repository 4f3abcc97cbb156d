"""The ODK XForms functions added to the expression language, each checked against the
definition in the ODK XForms specification (cases written here), and the one-line refusal of
the functions of the ODK list that cati does not run."""

from __future__ import annotations

import datetime as dt
import hashlib
import math

import pytest
from forms import form, play, start

from cati.questionnaire.problems import FormError
from cati.questionnaire.xpath import ExpressionSyntaxError, SimpleContext, parse
from cati.questionnaire.xpath.instances import Element as E
from cati.questionnaire.xpath.instances import document, table_document

BEIJING = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=BEIJING)
VALUES = {"yes1": "yes", "empty": "", "three": "3", "name": "王芳"}


def value(text: str, **values: str):
    return parse(text).evaluate(SimpleContext(values={**VALUES, **values}, now=NOW))


def text_of(text: str, **values: str) -> str:
    return parse(text).evaluate_string(SimpleContext(values={**VALUES, **values}, now=NOW))


@pytest.mark.parametrize(("text", "expected"), [
    ("sin(0)", 0.0), ("cos(0)", 1.0), ("tan(0)", 0.0),
    ("asin(1)", math.pi / 2), ("acos(1)", 0.0), ("atan(1)", math.pi / 4),
    ("atan2(1, 0)", math.pi / 2), ("atan2(0, -1)", math.pi),
    ("pi()", math.pi),
    ("exp(1)", math.e), ("exp(0)", 1.0), ("exp10(3)", 1000.0), ("exp10(-1)", 0.1),
    ("log(exp(2))", 2.0), ("log10(1000)", 3.0), ("log10(0.01)", -2.0),
    ("log(0)", -math.inf), ("log10(0)", -math.inf), ("exp(1000)", math.inf),
    ("sin(${three}) * sin(${three}) + cos(${three}) * cos(${three})", 1.0),
])
def test_math_functions(text, expected):
    assert value(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["asin(2)", "acos(-1.5)", "log(-1)", "log10(-3)",
                                  "sin('abc')", "sqrt(-1)"])
def test_math_outside_the_domain_is_nan_not_an_error(text):
    assert math.isnan(value(text))


@pytest.mark.parametrize(("text", "expected"), [
    # a number of days since 1970-01-01: the fraction is the time of day (UTC)
    ("date-time(0)", "1970-01-01T00:00:00.000+00:00"),
    ("date-time(0.75)", "1970-01-01T18:00:00.000+00:00"),
    ("date-time(20000.5)", "2024-10-04T12:00:00.000+00:00"),
    # a dateTime text keeps its own offset; a date is its midnight
    ("date-time('2026-11-23T09:30:00+08:00')", "2026-11-23T09:30:00.000+08:00"),
    ("date-time('2026-11-23')", "2026-11-23T00:00:00.000+00:00"),
    ("date-time(${empty})", ""),
    # decimal-date-time is the inverse: days, with the time as the fraction
    ("decimal-date-time('1970-01-02T06:00:00Z')", "1.25"),
    ("decimal-date-time(date-time(12345.5))", "12345.5"),
    ("decimal-date-time('1970-01-01T08:00:00+08:00')", "0"),
    ("format-date-time(date-time(0.5), '%H:%M')", "12:00"),
])
def test_date_time(text, expected):
    assert text_of(text) == expected


def test_date_time_compares_and_subtracts_as_days():
    assert value("date-time('2026-11-24T00:00:00Z') - date-time('2026-11-23T12:00:00Z')") == 0.5
    assert value("date-time('2026-11-23T12:00:00Z') > date('2026-11-23')") is True


def test_date_time_of_text_that_is_no_date_is_an_error_in_words():
    with pytest.raises(Exception, match=r"date-time\(\) cannot read 'soon' as a date"):
        value("date-time('soon')")


@pytest.mark.parametrize(("text", "expected"), [
    # the fraction of a day in the interview's time zone (here UTC+8): noon is 0.5
    ("decimal-time('12:00:00.000+08:00')", 0.5),
    ("decimal-time('18:00')", 0.75),
    ("decimal-time('00:00:00')", 0.0),
    # a time written in another offset is moved into the interview's zone first
    ("decimal-time('06:00:00.000+02:00')", 0.5),
    ("decimal-time('04:00:00Z')", 0.5),
    ("decimal-time('2026-11-23T15:00:00+08:00')", 0.625),
])
def test_decimal_time(text, expected):
    assert value(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["decimal-time('')", "decimal-time('noon')",
                                  "decimal-time('25:00')"])
def test_decimal_time_of_no_time_is_nan(text):
    assert math.isnan(value(text))


@pytest.mark.parametrize(("text", "expected"), [
    # checklist(min, max, …): how many of the rest are true lies in [min, max]; -1: no limit
    ("checklist(2, 3, true(), ${yes1}, ${empty}, 1 = 2)", True),
    ("checklist(3, -1, true(), ${yes1}, ${empty})", False),
    ("checklist(-1, 1, true(), ${yes1})", False),
    ("checklist(-1, -1)", True),
    # weighted-checklist(min, max, value, weight, …): the weights of the true values, summed
    ("weighted-checklist(5, -1, true(), 3, ${yes1}, 2, ${empty}, 10)", True),
    ("weighted-checklist(-1, 4, true(), 3, ${yes1}, 2)", False),
])
def test_checklists(text, expected):
    assert value(text) is expected


def test_weighted_checklist_needs_pairs():
    with pytest.raises(Exception, match="in pairs"):
        value("weighted-checklist(1, 2, true())")


def test_count_non_empty_counts_answered_references():
    assert value("count-non-empty(${yes1} | ${empty} | ${three})") == 2.0


@pytest.mark.parametrize(("text", "expected"), [
    ("digest('abc', 'SHA-256', 'hex')",
     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ("digest('abc', 'MD5', 'hex')", "900150983cd24fb0d6963f7d28e17f72"),
    ("digest('abc', 'SHA-1')", "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="),  # base64 by default
    ("string-length(digest(${name}, 'SHA-512', 'hex'))", "128"),
    ("string-length(digest('', 'SHA-384', 'base64'))", "64"),
    ("base64-decode('5L2g5aW9')", "你好"),
    ("base64-decode(digest('x', 'MD5'))", ""),  # bytes that are no UTF-8 text
    ("base64-decode('not base64!')", ""),
])
def test_encoding(text, expected):
    assert text_of(text) == expected


def test_digest_names_a_wrong_algorithm():
    with pytest.raises(Exception, match="SHA-256"):
        value("digest('abc', 'SHA-3')")


def test_uuid_with_a_length_is_that_many_letters_and_digits_from_the_interview_generator():
    first = text_of("uuid(12)")
    assert len(first) == 12 and first.isalnum() and first.isascii()
    assert first == text_of("uuid(12)")  # the same seed, the same text: a replay agrees
    assert len(text_of("uuid()")) == 36


@pytest.mark.parametrize(("text", "name"), [
    ("area(${g})", "area"), ("distance(${g})", "distance"),
    ("randomize(${g})", "randomize"), ("jr:itext('x')", "jr:itext"),
    ("geofence(${g}, ${g})", "geofence"),
])
def test_functions_cati_does_not_run_say_so(text, name):
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse(text)
    assert str(caught.value).startswith(f"{name}() is not supported by cati (")
    assert "unknown" not in str(caught.value)


def test_a_typo_is_still_an_unknown_function():
    with pytest.raises(ExpressionSyntaxError, match=r"unknown function dat-time\(\) \(did you "
                                                    r"mean date-time\(\)\?\)"):
        parse("dat-time(1)")


def test_an_unsupported_function_in_a_form_is_one_line_with_sheet_row_and_column():
    with pytest.raises(FormError) as caught:
        form("""
        | survey |
        | | type | name | label | calculation |
        | | text | plot | Plot | |
        | | calculate | size | | area(${plot}) |
        """)
    assert [str(p) for p in caught.value.problems] == [
        "survey:3: calculation: area() is not supported by cati (geographic data cannot be "
        "collected on the phone) at character 1 in 'area(${plot})'"]


def test_an_interview_uses_the_new_functions():
    engine = start("""
    | survey |
    | | type | name | label | calculation | constraint |
    | | text | start_time | Time the call was booked (HH:MM) | | decimal-time(.) < 0.75 |
    | | calculate | booked | | date-time(decimal-date-time(today()) + decimal-time(${start_time})) | |
    | | calculate | code | | substr(digest(${start_time}, 'SHA-256', 'hex'), 0, 6) | |
    | | note | show | Booked for ${booked}, code ${code} | | |
    """)
    assert engine.answer("19:00") is not None  # after 18:00: refused by the constraint
    play(engine, "09:30")
    code = hashlib.sha256(engine.answers["start_time"].encode()).hexdigest()[:6]
    assert engine.current().label == f"Booked for 2026-11-23T09:30:00.000+00:00, code {code}"


HOUSEHOLDS = table_document([
    {"hhid": "H1", "head": "张三", "size": "4", "county": "north"},
    {"hhid": "H2", "head": "李四", "size": "2", "county": "south"},
    {"hhid": "H3", "head": "王五", "size": "7", "county": "north"},
])
NESTED = document(E("towns", children=(
    E("town", children=(E("name", "qh"), E("village", "一村"), E("village", "二村")),
      attributes={"code": "T01"}),
    E("town", children=(E("name", "gh"), E("village", "三村")), attributes={"code": "T02"}),
)))


def lookup(text: str, **values: str):
    context = SimpleContext(values={**VALUES, **values}, now=NOW)
    return parse(text).bind({"hh": HOUSEHOLDS, "towns": NESTED}).evaluate_string(context)


@pytest.mark.parametrize(("text", "expected"), [
    # a predicate on a column picks the rows; the last step reads a column
    ("instance('hh')/root/item[hhid = ${key}]/head", "李四"),
    ("instance('hh')/root/item[hhid = 'H9']/head", ""),
    # a number in brackets is a position, from 1; predicates apply in turn
    ("instance('hh')/root/item[3]/head", "王五"),
    ("instance('hh')/root/item[county = 'north'][2]/head", "王五"),
    ("instance('hh')/root/item[size > 3 and county = 'north'][1]/hhid", "H1"),
    # '.' in a predicate is the node tested
    ("instance('hh')/root/item/size[. > 5]", "7"),
    # node-set functions take the selected nodes
    ("count(instance('hh')/root/item[county = 'north'])", "2"),
    ("sum(instance('hh')/root/item/size)", "13"),
    ("max(instance('hh')/root/item/size)", "7"),
    ("count-non-empty(instance('hh')/root/item/head)", "3"),
    # an XML file keeps its shape: attributes read as columns, * matches any name
    ("instance('towns')/towns/town[code = 'T02']/name", "gh"),
    ("count(instance('towns')/towns/town[name = 'qh']/village)", "2"),
    ("count(instance('towns')/*/*/village)", "3"),
    ("instance('towns')/towns/town[@code = 'T01']/village[2]", "二村"),
    ("instance('towns')/towns/town[name = 'gh']/@code", "T02"),
    # pulldata(file, column, key column, key): the first matching row's column, '' for none
    ("pulldata('hh', 'size', 'hhid', ${key})", "2"),
    ("pulldata('hh', 'size', 'hhid', 'nobody')", ""),
    ("pulldata('hh', 'nosuchcolumn', 'hhid', 'H1')", ""),
])
def test_instance_lookups(text, expected):
    assert lookup(text, key="H2") == expected


def test_lookups_read_the_instances_they_name():
    expression = parse("pulldata('hh', 'head', 'hhid', ${a}) = instance('towns')/x/y")
    assert expression.instance_ids == {"hh", "towns"}
    assert expression.references == {"a"}


@pytest.mark.parametrize(("text", "message"), [
    ("instance('hh')", "instance('hh') needs a path, as in instance('hh')/root/item[name = ${q}]/"
                       "label at character 1"),
    ("instance('hh')/root/item[hhid = 1", "missing ']' at character 25"),
    ("instance('hh')/root/", "a path step needs a name at character 21"),
    ("pulldata(${f}, 'a', 'b', 'c')", "pulldata()'s first argument must be the quoted name of a "
                                      "data file, as in pulldata('households', …) at character 10"),
    ("pulldata('hh', 'a', 'b')", "pulldata() takes 4 arguments at character 1"),
])
def test_lookup_syntax_errors_say_what_to_write(text, message):
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse(text)
    assert str(caught.value) == message


def test_an_unbound_lookup_names_the_missing_instance():
    with pytest.raises(Exception, match="instance\\('hh'\\) names no data file or choice list"):
        parse("pulldata('hh', 'a', 'b', 'c')").evaluate(SimpleContext())
