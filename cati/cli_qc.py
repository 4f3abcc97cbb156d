"""``cati qc draw | list | score | figures``: quality control by listening (录音抽查).

    cati qc draw PROJECT --rate 5% [--min-per-interviewer 1] [--seed N] [--user NAME] [--json]
    cati qc list PROJECT [--pending] [--user NAME] [--json]
    cati qc score REVIEW_ID --read 5 --leading 4 --coding 5 --polite 5 [--note T] [--invalid]
                  --user NAME [--json]
    cati qc figures PROJECT [--user NAME] [--json]

JSON (``--json``): ``draw`` {"drawn": N, "per_interviewer": {username: n}, "review_ids": [..]};
``list`` [{"id", "interview_id", "case_id", "interviewer", "attempt_id", "recording",
"duration_s", "recording_check": "ok"|"missing"|"changed", "interview_state", "drawn_at",
"scored_at", "scores", "note", "verdict"}]; ``score`` {"review_id", "interview_id",
"interviewer", "scores": {"read", "leading", "coding", "polite"}, "note", "verdict":
"valid"|"invalid", "voided"}; ``figures`` [{"interviewer", "recorded", "drawn", "scored",
"means": {criterion: mean|null}, "invalid"}]. The rules are in cati/services/qc.py.
"""

from __future__ import annotations

import argparse
import json


def add_commands(commands: argparse._SubParsersAction, report: argparse._SubParsersAction,
                 open_database) -> None:
    group = commands.add_parser("qc", help="quality control by listening (录音抽查): draw "
                                           "recorded completes, score them, figures")
    actions = group.add_subparsers(dest="action", required=True)

    draw = actions.add_parser("draw", help="draw a random share of every interviewer's "
                                           "recorded completed interviews for listening")
    draw.add_argument("project", metavar="PROJECT")
    draw.add_argument("--rate", required=True, help="the share to listen to, e.g. 5%% or 0.05")
    draw.add_argument("--min-per-interviewer", type=_count, default=1, metavar="N",
                      help="at least this many per interviewer (default 1)")
    draw.add_argument("--seed", type=int, help="the random draw's seed (repeatable draws)")
    _common(draw)
    draw.set_defaults(handler=lambda args: _draw(args, open_database(args)))

    listing = actions.add_parser("list", help="the drawn interviews, their recordings checked")
    listing.add_argument("project", metavar="PROJECT")
    listing.add_argument("--pending", action="store_true", help="only those not scored yet")
    _common(listing)
    listing.set_defaults(handler=lambda args: _list(args, open_database(args)))

    score = actions.add_parser("score", help="score one drawn interview, 1-5 per criterion")
    score.add_argument("review", metavar="REVIEW_ID", type=_review_id)
    score.add_argument("--read", required=True, metavar="1-5",
                       help="reads the question as written (照本宣读)")
    score.add_argument("--leading", required=True, metavar="1-5",
                       help="not leading, 5 = not at all (无诱导)")
    score.add_argument("--coding", required=True, metavar="1-5", help="correct coding (编码正确)")
    score.add_argument("--polite", required=True, metavar="1-5", help="politeness (礼貌)")
    score.add_argument("--note", default="", help="what was heard (备注)")
    score.add_argument("--invalid", action="store_true",
                       help="the interview is invalid: void it and reopen its case (判定无效)")
    _common(score)
    score.set_defaults(handler=lambda args: _score(args, open_database(args)))

    figures = actions.add_parser("figures", help="per interviewer: recorded, drawn, scored, "
                                                 "mean per criterion, invalid")
    figures.add_argument("project", metavar="PROJECT")
    _common(figures)
    figures.set_defaults(handler=lambda args: _figures(args, open_database(args)))


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number") from None
    if number < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return number


def _review_id(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a review id") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"'{value}' is not a review id")
    return number


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", metavar="NAME", help="the supervisor recorded in the audit log")
    parser.add_argument("--json", action="store_true", help="JSON on stdout")


def _user(args: argparse.Namespace, database) -> int | None:
    from cati.services.users import acting_user_id

    return acting_user_id(database, args.user)


def _draw(args: argparse.Namespace, database) -> int:
    from cati.services import qc
    from cati.services.backcheck import project_id_of

    rate = qc.parse_rate(args.rate)  # before anything is read: a bad rate is one line
    project_id = project_id_of(database, args.project)
    result = qc.draw_reviews(database, project_id, rate=rate,
                             min_per_interviewer=args.min_per_interviewer, seed=args.seed,
                             user_id=_user(args, database))
    if args.json:
        print(json.dumps(result.as_json(), ensure_ascii=False))
        return 0
    print(f"drew {result.drawn} recorded interviews for listening")
    for name, count in result.per_interviewer.items():
        print(f"  {name:<16} {count}")
    return 0


def _list(args: argparse.Namespace, database) -> int:
    from cati.services import qc
    from cati.services.backcheck import project_id_of

    project_id = project_id_of(database, args.project)
    rows = qc.list_reviews(database, project_id, user_id=_user(args, database),
                           pending_only=args.pending)
    if args.json:
        print(json.dumps([row.as_json() for row in rows], ensure_ascii=False))
        return 0
    for row in rows:
        scores = " ".join(f"{k}={v}" for k, v in row.scores.items()) or "-"
        print(f"{row.id:>6} {row.interview_id:>8} {row.interviewer:<16} "
              f"{row.recording.duration_s:>6.1f}s {row.recording_check:<8} "
              f"{row.verdict or 'pending':<8} {scores}")
    return 0


def _score(args: argparse.Namespace, database) -> int:
    from cati.services import qc

    scores = {"read": args.read, "leading": args.leading, "coding": args.coding,
              "polite": args.polite}
    qc.validate_scores(scores)  # before anything is read: a bad score is one line
    result = qc.score_review(database, args.review, scores, note=args.note,
                             invalid=args.invalid, user_id=_user(args, database))
    if args.json:
        print(json.dumps(result.as_json(), ensure_ascii=False))
        return 0
    voided = " (interview voided, case reopened)" if result.voided else ""
    print(f"review {result.review_id}: {result.verdict}{voided}")
    return 0


def _figures(args: argparse.Namespace, database) -> int:
    from cati.services import qc
    from cati.services.backcheck import project_id_of

    project_id = project_id_of(database, args.project)
    figures = qc.qc_figures(database, project_id, user_id=_user(args, database))
    if args.json:
        print(json.dumps([f.as_json() for f in figures], ensure_ascii=False))
        return 0
    head = " ".join(f"{key:>7}" for key in qc.CRITERION_KEYS)
    print(f"{'interviewer':<16} {'recorded':>8} {'drawn':>6} {'scored':>6} {head} {'invalid':>7}")
    for f in figures:
        means = " ".join("      -" if v is None else f"{v:>7.2f}" for v in f.means.values())
        print(f"{f.interviewer:<16} {f.recorded:>8} {f.drawn:>6} {f.scored:>6} {means} "
              f"{f.invalid:>7}")
    return 0
