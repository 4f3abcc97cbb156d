"""``cati form check | run | walk``: commands for questionnaire authors (no database)."""

from __future__ import annotations

import argparse
import json
import sys

# The questionnaire tools (pyxform, ~0.5 s to import) load when a form command runs, not when
# `cati` starts the app.


def add_commands(commands: argparse._SubParsersAction) -> None:
    form = commands.add_parser("form", help="check and try out XLSForm questionnaires")
    actions = form.add_subparsers(dest="action", required=True)

    check = actions.add_parser("check", help="validate and lint a questionnaire")
    check.add_argument("file")
    check.set_defaults(handler=_check)

    run = actions.add_parser("run", help="play scripted answers through a questionnaire")
    run.add_argument("file")
    run.add_argument("--answers", required=True, metavar="ANSWERS.json")
    run.add_argument("--lang", help="questionnaire language, e.g. 'English (en)'")
    run.add_argument("--seed", type=int, default=0, help="seed for randomised choice order")
    run.set_defaults(handler=_run)

    walk = actions.add_parser("walk", help="random interviews along valid paths")
    walk.add_argument("file")
    walk.add_argument("--random", type=int, required=True, metavar="N")
    walk.add_argument("--seed", type=int, default=0)
    walk.add_argument("--json", action="store_true")
    walk.set_defaults(handler=_walk)


def _check(args: argparse.Namespace) -> int:
    from cati.questionnaire.lint import check_form

    report = check_form(args.file)
    for problem in report.errors:
        print(problem)
    for problem in report.warnings:
        print(problem)
    if not report.usable:
        return 1
    form = report.form
    assert form is not None
    questions = sum(1 for item in form.items if item.is_question)
    print(f"ok: {form.form_id} version {form.version}: {questions} questions, "
          f"{len(form.indices)} indices, languages {', '.join(form.languages)}"
          f"{f', {len(report.warnings)} warnings' if report.warnings else ''}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from cati.questionnaire.loader import load_form
    from cati.questionnaire.runner import AnswerRejected, read_answers_file, run_scripted

    form = load_form(args.file)
    answers = read_answers_file(args.answers)
    if args.lang and args.lang not in form.languages:
        print(f"cati: the form has no language '{args.lang}' "
              f"(it has: {', '.join(form.languages)})", file=sys.stderr)
        return 1
    try:
        result = run_scripted(form, answers, language=args.lang, seed=args.seed)
    except AnswerRejected as exc:
        print(json.dumps(exc.as_json(), ensure_ascii=False))
        return 1
    print(json.dumps(result.as_json(), ensure_ascii=False))
    return 0


def _walk(args: argparse.Namespace) -> int:
    from cati.questionnaire.loader import load_form
    from cati.questionnaire.walk import walk_form

    if args.random < 1:
        print("cati: --random takes a number of interviews of 1 or more", file=sys.stderr)
        return 1
    form = load_form(args.file)
    report = walk_form(form, args.random, args.seed)
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False))
        return 0 if report.ok else 1
    outcomes = ", ".join(f"{name}: {count}" for name, count in sorted(report.outcomes.items()))
    print(f"{report.interviews} interviews: {outcomes}")
    for why in report.dead_ends.values():
        print(f"dead end: {why}")
    for why in report.expression_errors.values():
        print(f"expression error: {why}")
    for name in report.never_reached:
        row = form.item(name).row
        print(f"survey:{row}: never reached: '{name}'")
    return 0 if report.ok else 1
