"""The expression language: syntax errors, the nesting limit, the Expression object, contexts,
and properties that hold for any text and any well-formed expression."""

from __future__ import annotations

import contextlib
import datetime as dt
import pickle
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cati.questionnaire import xpath
from cati.questionnaire.xpath import (
    KNOWN_FUNCTIONS,
    Expression,
    ExpressionError,
    ExpressionEvalError,
    ExpressionSyntaxError,
    NodeSet,
    SimpleContext,
    parse,
)
from cati.questionnaire.xpath.registry import FUNCTIONS

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def context(values=None, **kwargs) -> SimpleContext:
    kwargs.setdefault("now", NOW)
    return SimpleContext(values=dict(values or {}), **kwargs)


# Syntax errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "position", "message"), [
    pytest.param("${a} > > 3", 7, "unexpected '>'", id="operator without operand"),
    pytest.param("(1 + 2", 6, "missing ')'", id="unclosed parenthesis"),
    pytest.param("1 + 2)", 5, "unexpected ')'", id="extra closing parenthesis"),
    pytest.param("1 +", 3, "the expression ends too early", id="dangling operator"),
    pytest.param("", 0, "the expression is empty", id="empty"),
    pytest.param("   ", 0, "the expression is empty", id="blank"),
    pytest.param("1 2", 2, "unexpected '2'", id="two operands"),
    pytest.param("1 'a'", 2, "unexpected string 'a'", id="operand then string"),
    pytest.param("'abc", 0, "unterminated string", id="unterminated string"),
    pytest.param("x = ${a", 4, "unterminated reference", id="unterminated reference"),
    pytest.param("${a b} = 1", 0, "${a b} is not a valid reference", id="space in reference"),
    pytest.param("${} = 1", 0, "${} is not a valid reference", id="empty reference"),
    pytest.param("$a = 1", 0, "unexpected '$'", id="XPath variable"),
    pytest.param("/data/x = 1", 0,
                 "paths such as '/data/x' are not supported (write ${x} to refer to a question)",
                 id="absolute path"),
    pytest.param("1 + ../x", 4, "paths such as '../x' are not supported", id="relative path"),
    pytest.param("data/x = 1", 0, "paths such as 'data/x' are not supported",
                 id="path from a name"),
    pytest.param("${a} == 1", 5, "'==' is not an operator (write =)", id="double equals"),
    pytest.param("${a} && ${b}", 5, "'&&' is not an operator (write and)", id="double ampersand"),
    pytest.param("a[1]", 1, "unexpected '['", id="predicate"),
    pytest.param("* 2", 0, "unexpected '*'", id="star without left operand"),
    pytest.param("1e5", 1, "unexpected 'e5'", id="exponent notation"),
    pytest.param("‘a’ = 1", 0, "unexpected curly quote ‘", id="curly quote"),
    pytest.param("1 | ${a}", 2, "'|' joins references only", id="union of a number"),
    pytest.param("concat(1,)", 9, "unexpected ')'", id="trailing comma"),
    pytest.param("jr:foo = 1", 0, "unexpected 'jr:foo'", id="prefixed name"),
])
def test_syntax_errors(text, position, message):
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse(text)
    assert caught.value.position == position
    assert str(caught.value).startswith(message)
    assert str(caught.value).endswith(f" at character {position + 1}")


@pytest.mark.parametrize(("text", "message"), [
    pytest.param("foo(1)", "unknown function foo()", id="unknown function"),
    pytest.param("jr:foo(1)", "unknown function jr:foo()", id="unknown prefixed function"),
    pytest.param("selectd(${a}, 'x')", "unknown function selectd() (did you mean selected()?)",
                 id="misspelt function"),
    pytest.param("round()", "round() takes 1 or 2 arguments", id="round without argument"),
    pytest.param("round(1, 2, 3)", "round() takes 1 or 2 arguments", id="round with three"),
    pytest.param("today(1)", "today() takes no arguments", id="today with an argument"),
    pytest.param("not()", "not() takes 1 argument", id="not without argument"),
    pytest.param("selected(${a})", "selected() takes 2 arguments", id="selected with one"),
    pytest.param("substr('a')", "substr() takes 2 or 3 arguments", id="substr with one"),
    pytest.param("sum()", "sum() takes at least 1 argument", id="sum without argument"),
    pytest.param("if(1, 2)", "if() takes 3 arguments", id="if with two"),
    pytest.param("string(1, 2)", "string() takes 0 or 1 argument", id="string with two"),
])
def test_function_errors_at_parse_time(text, message):
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse(text)
    assert str(caught.value) == f"{message} at character 1"


def test_bad_literal_regex_is_a_syntax_error_at_the_literal():
    with pytest.raises(ExpressionSyntaxError, match="invalid regular expression") as caught:
        parse("regex(${a}, '[')")
    assert caught.value.position == 12


def test_known_functions_match_the_table():
    assert frozenset(FUNCTIONS) == KNOWN_FUNCTIONS
    assert {"jr:choice-name", "count-selected", "format-date", "once", "uuid"} <= KNOWN_FUNCTIONS
    assert {"position", "indexed-repeat", "join"} <= KNOWN_FUNCTIONS  # over repeat instances


# Nesting limits ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("opening", "closing"), [
    pytest.param("(", ")", id="parentheses"),
    pytest.param("not(", ")", id="function calls"),
    pytest.param("-", "", id="unary minus"),
    pytest.param("1 or 1 and 1 = 1 < 1 + 1 * (", ")", id="precedence steps"),
])
@pytest.mark.parametrize("depth", [65, 10_000])
def test_deep_nesting_is_refused(opening, closing, depth):
    with pytest.raises(ExpressionSyntaxError, match=r"^expression is nested too deeply"):
        parse(opening * depth + "1" + closing * depth)


@pytest.mark.parametrize(("opening", "closing"), [("(", ")"), ("abs(", ")"), ("-", "")])
def test_64_levels_are_accepted(opening, closing):
    assert parse(opening * 64 + "1" + closing * 64).evaluate_bool(context())


def test_long_flat_chains_are_not_nesting():
    assert parse(" or ".join(["${a} = 1"] * 5000) + " or ${a} = 2").evaluate_bool(
        context({"a": "2"}))
    assert parse("1" + " + 1" * 10_000).evaluate(context()) == 10_001.0
    assert parse("concat(" + ", ".join(["'a'"] * 5000) + ")").evaluate_string(
        context()) == "a" * 5000


# The Expression object ---------------------------------------------------------------------------

def test_expression_is_immutable_hashable_and_picklable():
    expression = parse("${a} + 1")
    with pytest.raises(AttributeError):
        expression.text = "2"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del expression.references
    assert expression == parse("${a} + 1") and expression != parse("${a} + 2")
    copy = pickle.loads(pickle.dumps(expression))
    assert copy == expression and hash(copy) == hash(expression)
    assert len({expression, copy}) == 1
    assert copy.evaluate(context({"a": "2"})) == 3.0
    assert repr(expression) == "Expression('${a} + 1')"
    assert isinstance(expression.evaluate(context()), float)
    assert isinstance(parse("${a}").evaluate(context()), NodeSet)


def test_errors_share_one_base_and_pickle():
    assert issubclass(ExpressionSyntaxError, ExpressionError)
    assert issubclass(ExpressionEvalError, ExpressionError)
    error = ExpressionSyntaxError("unexpected ')'", 11)
    assert str(error) == "unexpected ')' at character 12" and error.position == 11
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error) and copy.position == 11


def test_one_expression_serves_many_threads():
    expression = parse("${n} * 2 + string-length(${s})")
    failures = []

    def work(n: int) -> None:
        ctx = context({"n": str(n), "s": "x" * n})
        for _ in range(2000):
            if expression.evaluate(ctx) != 3.0 * n:
                failures.append(n)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_a_context_without_optional_methods():
    class Minimal:
        current_value = "7"
        now = NOW
        rng = None

        def value_of(self, name):
            return {"a": "3"}.get(name, "")

        def choice_label(self, name, choice_value):
            return f"{name}:{choice_value}"

    ctx = Minimal()
    assert parse("once(${a})").evaluate_string(ctx) == "7"
    assert parse("jr:choice-name(${a}, '${q}')").evaluate_string(ctx) == "q:3"
    with pytest.raises(ExpressionEvalError):
        parse("county = 1").evaluate(ctx)


# Properties -----------------------------------------------------------------------------------

_TOKENS = ["${a}", "${b}", ".", "1", "2.5", "'x'", "(", ")", ",", "+", "-", "*", "div", "mod",
           "=", "!=", "<", ">=", "and", "or", "|", "today()", "selected(", "concat(", "if(",
           "name", "/", "$", "{", "}", "'", '"', "jr:choice-name(", "round("]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.lists(st.sampled_from(_TOKENS), max_size=25).map(" ".join)))
def test_parse_accepts_or_refuses_any_text(text):
    try:
        expression = parse(text)
    except ExpressionSyntaxError as exc:
        assert exc.position is None or 0 <= exc.position <= len(text)
    else:
        assert isinstance(expression, Expression)


_ANSWERS = ["", "0", "-1", "2.5", "17", "abc", "a b c", "2026-11-01", "2026-11-23T09:30:00+08:00",
            "1e400", " 12 ", "NaN", "Infinity", "9" * 400, "(", "[a-", "%Y-%m"]


def _number_text() -> st.SearchStrategy[str]:
    return st.one_of(st.integers(-10**6, 10**6).map(str),
                     st.sampled_from(["0.5", ".25", "400", "1000000000", "1.5"]))


def _leaves() -> st.SearchStrategy[str]:
    return st.one_of(
        _number_text(),
        st.sampled_from(_ANSWERS).map(lambda answer: f"'{answer}'"),
        st.sampled_from(["${a}", "${b}", "${c}", ".", "today()", "now()", "random()", "uuid()",
                         "true()", "false()", "name"]),
    )


def _grow(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    operators = ["or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod"]
    binary = st.tuples(children, st.sampled_from(operators), children).map(
        lambda parts: f"({parts[0]} {parts[1]} {parts[2]})")
    negated = children.map(lambda child: f"-{child}")
    union = st.lists(st.sampled_from(["${a}", "${b}", ".", "name", "if(${c}, ${a}, .)"]),
                     min_size=2, max_size=3).map(lambda nodes: f"({' | '.join(nodes)})")
    return st.one_of(binary, negated, union, _calls(children))


def _calls(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def call(function) -> st.SearchStrategy[str]:
        high = function.max_args if function.max_args is not None else function.min_args + 3
        arguments = st.lists(children, min_size=function.min_args, max_size=high)
        return arguments.map(lambda args: f"{function.name}({', '.join(args)})")

    return st.sampled_from(sorted(FUNCTIONS.values(), key=lambda f: f.name)).flatmap(call)


_EXPRESSIONS = st.recursive(_leaves(), _grow, max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(_EXPRESSIONS, st.fixed_dictionaries({name: st.sampled_from(_ANSWERS) for name in "abc"}),
       st.sampled_from(_ANSWERS), st.booleans())
def test_evaluate_raises_only_expression_errors(text, values, current, in_choice_filter):
    try:
        expression = parse(text)
    except ExpressionSyntaxError:
        return  # e.g. a union with a constant
    ctx = context(values, current_value=current, seed=1,
                  children={"name": current} if in_choice_filter else None)
    for method in (expression.evaluate, expression.evaluate_bool, expression.evaluate_string):
        with contextlib.suppress(ExpressionError):
            method(ctx)


def test_package_exports_the_interface():
    for name in ("parse", "Expression", "EvalContext", "SimpleContext", "KNOWN_FUNCTIONS",
                 "ExpressionError", "ExpressionSyntaxError", "ExpressionEvalError"):
        assert hasattr(xpath, name)
