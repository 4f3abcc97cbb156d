"""The ``cati`` command. With no subcommand it starts the desktop app.

Every subcommand calls the same services the app uses. A user's mistake prints one line
``cati: …`` to stderr and exits 1; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import getpass
import importlib
import json
import os
import sys
from collections.abc import Callable, Sequence

from cati import (
    cli_assign,
    cli_audit,
    cli_backcheck,
    cli_calling,
    cli_export,
    cli_forms,
    cli_indices,
    cli_journal,
    cli_phone,
    cli_qc,
    cli_sample,
    cli_suggestions,
    cli_units,
    cli_waves,
    cli_web,
)
from cati.config import resolve_db_url
from cati.errors import CatiError, StorageDenied
from cati.storage.db import Database, connection_error, database_label, storage_error
from cati.storage.retry import conflict_error

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cati",
        description="Computer-assisted telephone interviewing. Without a command: start the app.",
    )
    parser.add_argument("--db", metavar="URL",
                        help="database URL (default: $CATI_DB_URL, else an SQLite file in the "
                             "user data directory)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    db = commands.add_parser("db", help="database schema").add_subparsers(dest="action",
                                                                           required=True)
    db.add_parser("upgrade", help="migrate the database to the newest schema").set_defaults(
        handler=_db_upgrade)
    db.add_parser("current", help="print the schema revision").set_defaults(handler=_db_current)
    grant = db.add_parser("grant", help="make a database login a member of one of cati's "
                                        "groups, e.g. the web server's (PostgreSQL; run as the "
                                        "database's owner)")
    grant.add_argument("role", help="the login, e.g. the one `cati web serve` connects as")
    grant.add_argument("--group", choices=("web", "interviewer", "supervisor", "admin"),
                       default="web", help="its group (default: web); people's accounts are "
                                           "made with `cati users add`")
    grant.add_argument("--apply", action="store_true",
                       help="run it on the database instead of printing it")
    grant.set_defaults(handler=_db_grant)

    demo = commands.add_parser("demo", help="create the demo project and accounts, and play its "
                                            "earlier months (once)")
    demo.add_argument("--sample-only", action="store_true",
                      help="only the project, its numbers and the accounts: no calls played")
    demo.set_defaults(handler=_demo)

    project = commands.add_parser("project", help="survey projects").add_subparsers(
        dest="action", required=True)
    create = project.add_parser("create", help="create a project from an XLSForm")
    create.add_argument("code")
    create.add_argument("--form", required=True, metavar="FILE")
    create.add_argument("--name")
    create.add_argument("--default-area-code", metavar="CODE")
    create.add_argument("--centre-name", metavar="NAME",
                        help="the centre running the survey, named in the introduction")
    create.set_defaults(handler=_project_create)
    listing = project.add_parser("list", help="list projects")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_project_list)

    users = commands.add_parser("users", help="accounts").add_subparsers(dest="action",
                                                                          required=True)
    add = users.add_parser("add", help="add an account (password from a prompt or stdin)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=("interviewer", "supervisor", "admin"))
    add.add_argument("--display-name", default="")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input")
    add.set_defaults(handler=_users_add)
    users.add_parser("list", help="list accounts").set_defaults(handler=_users_list)
    reset = users.add_parser("reset", help="set an account's password (an admin; the owner)")
    reset.add_argument("name")
    reset.add_argument("--password-stdin", action="store_true",
                       help="read the password from the first line of standard input")
    reset.set_defaults(handler=_users_reset)
    role = users.add_parser("role", help="change an account's role (an admin; the owner)")
    role.add_argument("name")
    role.add_argument("--role", required=True, choices=("interviewer", "supervisor", "admin"))
    role.set_defaults(handler=_users_role)
    for verb, active in (("deactivate", False), ("reactivate", True)):
        change = users.add_parser(verb, help=f"{verb} an account (an admin; the owner)")
        change.add_argument("name")
        change.set_defaults(handler=lambda args, active=active: _users_active(args, active))

    report = report_commands = commands.add_parser("report", help="reports").add_subparsers(
        dest="action", required=True)
    aapor = report.add_parser("aapor", help="AAPOR response, cooperation, refusal, contact rates")
    aapor.add_argument("--project", required=True, metavar="CODE")
    aapor.add_argument("--by", choices=("stratum", "interviewer", "day"))
    aapor.add_argument("--json", action="store_true")
    aapor.set_defaults(handler=_report_aapor)

    case = commands.add_parser("case", help="cases of the sample").add_subparsers(
        dest="action", required=True)
    why = case.add_parser("explain", help="every queue rule: does it block this case now?")
    why.add_argument("case_id", type=int)
    why.add_argument("--json", action="store_true")
    why.add_argument("--at", type=_instant, metavar="ISO-TIME",
                     help="explain as of this time (e.g. 2026-11-24T09:00+08:00), not now")
    why.set_defaults(handler=_case_explain)

    sim = commands.add_parser("simulate", help="a simulated call centre doing real work")
    sim.add_argument("--project", required=True, metavar="CODE")
    sim.add_argument("--interviewers", type=int, default=4, metavar="N")
    sim.add_argument("--minutes", type=float, default=60, metavar="M",
                     help="call-centre minutes to simulate")
    sim.add_argument("--speed", type=float, default=60, metavar="X",
                     help="how many times faster than real time")
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--json", action="store_true")
    sim.add_argument("--force", action="store_true",
                     help="run on a project that holds real interviews (not the simulator's)")
    sim.set_defaults(handler=_simulate)

    cli_forms.add_commands(commands)
    cli_journal.add_commands(commands)
    cli_sample.add_commands(commands, open_database)
    cli_calling.add_commands(commands, open_database)
    cli_audit.add_commands(commands, open_database)
    cli_web.add_commands(commands, open_database)
    cli_assign.add_commands(commands, open_database)
    cli_phone.add_commands(commands, open_database)
    for module in (cli_indices, cli_export, cli_suggestions, cli_units, cli_waves,
                   cli_backcheck, cli_qc):
        module.add_commands(commands, report_commands, open_database)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _refuse_password_in_argv(sys.argv[1:] if argv is None else list(argv))
        if args.command is None:
            return _start_app(args)
        status = args.handler(args)
        if status == 0 and (args.command, getattr(args, "action", None)) in AUDITED_COMMANDS:
            _audit_command(args)
        return status
    except CatiError as exc:
        print(f"cati: {exc}", file=sys.stderr)
        if isinstance(exc, StorageDenied):
            _audit_refusal(args, exc)
        return exc.exit_code
    except KeyboardInterrupt:
        print("cati: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (`cati … | head`): nothing more to say, and
        # nothing for the interpreter's final flush to fail on either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:
        # A full or read-only store reached through a raw driver cursor (the import's COPY
        # and executemany) skips the engine's error hook: still one line, not a traceback. So
        # is a database that cannot be reached (down, a certificate that fails verification,
        # a refused password), whichever command first connected.
        label = database_label(resolve_db_url(args.db))
        refused = (storage_error(getattr(exc, "orig", exc), label)
                   or connection_error(exc, label) or conflict_error(exc, label))
        if refused is None:
            raise
        print(f"cati: {refused}", file=sys.stderr)
        return refused.exit_code


def open_database(args: argparse.Namespace, *, upgrade: bool = True) -> Database:
    """The database the command works on, migrated to the newest schema."""
    from sqlalchemy.exc import OperationalError

    url = resolve_db_url(args.db)
    database = Database(url)
    if upgrade:
        try:
            try:
                database.upgrade()
            except OperationalError as exc:
                found = _password_for(url, exc)
                if found is None:
                    raise
                database.dispose()
                url = found
                database = Database(url)
                database.upgrade()
        except Exception as exc:
            label = database_label(url)
            failed = connection_error(exc, label)
            if failed is None and isinstance(exc, OperationalError):  # e.g. SQLite's locked file
                failed = CatiError(f"cannot open the database {label}: {_first_line(exc)}")
            if failed is not None:
                raise failed from None
            raise
    args.opened_url = url  # the audit entries of this command connect the same way
    return database


# Commands that change what decides who is called, what is asked and who is invited: each run
# that succeeded is an audit entry ``command`` with its arguments (on PostgreSQL the database
# logs the rows changed as well, cati.storage.pg_security). Accounts, imports, exports and
# corrections are audited by their services.
AUDITED_COMMANDS = {("demo", None), ("project", "create"), ("quota", "set"), ("quota", "load"), ("quota", "remove"),
                    ("quota", "recount"), ("disposition", "set"), ("dnc", "add"), ("dnc", "import"), ("web", "link"),
                    ("web", "invite"), ("suggestions", "set"), ("suggestions", "settings"),
                    ("suggestions", "follow-up")}
_NOT_AUDITED_ARGUMENTS = {"db", "opened_url", "handler", "command", "action", "password_stdin",
                          "json"}


def _command_name(args: argparse.Namespace) -> str:
    return " ".join(part for part in (args.command, getattr(args, "action", None)) if part)


def _audit_entry(args: argparse.Namespace, action: str, details: dict, *,
                 user_id: int | None = None) -> None:
    """One audit entry of this command, in a unit of its own, on the database it opened (the
    store stamps the login or operating-system account and the time)."""
    from cati.storage.models import AuditEntry

    database = Database(_opened_url(args))
    try:
        if user_id is None and action == "command":
            from cati.services.users import acting_user_id

            user_id = acting_user_id(database, getattr(args, "user", None))
        with database.unit() as session:
            session.add(AuditEntry(user_id=user_id, at=dt.datetime.now(dt.UTC), action=action,
                                   details={"command": _command_name(args), **details}))
    finally:
        database.dispose()


def _audit_command(args: argparse.Namespace) -> None:
    arguments = {name: value if isinstance(value, int | float | bool | None) else str(value)
                 for name, value in sorted(vars(args).items())
                 if name not in _NOT_AUDITED_ARGUMENTS}
    _audit_entry(args, "command", {"arguments": arguments})


def _audit_refusal(args: argparse.Namespace, refused: StorageDenied) -> None:
    """The database refused a statement of this command: say so in the audit log, in a unit of
    its own (the refused one was rolled back). Best effort: the refusal itself is what the
    user is told, and the server logs the refused statement too (log_min_error_statement)."""
    with contextlib.suppress(Exception):  # e.g. no connection at all: nothing more to do
        _audit_entry(args, "refused", {"error": str(refused)})


def _refuse_password_in_argv(argv: Sequence[str]) -> None:
    """A password in ``--db`` shows in the process list (``ps``) to every user of the machine:
    refused. It comes from the keyring, libpq's ``~/.pgpass``/PGPASSFILE/PGPASSWORD, a prompt,
    or CATI_DB_URL (the environment is the process's own)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    for index, word in enumerate(argv):
        value = (argv[index + 1] if word == "--db" and index + 1 < len(argv)
                 else word.removeprefix("--db=") if word.startswith("--db=") else None)
        if not value:
            continue
        try:
            password = make_url(value).password
        except ArgumentError:
            continue
        if password:
            raise CatiError("--db carries a password, which every user of this machine can see "
                            "(ps): put it in ~/.pgpass (or PGPASSFILE), the system keyring, or "
                            "the CATI_DB_URL environment variable (密码不要写在命令行上)")


def _password_for(url: str, exc: Exception) -> str | None:
    """The server wanted a password and libpq had none (no PGPASSWORD, nothing in ~/.pgpass or
    PGPASSFILE): the URL with the one the system keyring keeps for it, else one typed at the
    terminal; None when neither is there (the error stands). Asked only then: looking the
    keyring up costs about half a second."""
    from cati import credentials

    if "no password supplied" not in str(exc):
        return None
    stored = credentials.stored_password(url)
    if stored:
        return credentials.with_password(url, stored)
    if not sys.stdin.isatty():
        return None
    password = getpass.getpass(f"password for {database_label(url)}: ")
    return credentials.with_password(url, password) if password else None


def _opened_url(args: argparse.Namespace) -> str:
    return getattr(args, "opened_url", None) or resolve_db_url(args.db)


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "orig", exc) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def _start_app(args: argparse.Namespace) -> int:
    app = importlib.import_module("ui.app")  # imported by name: the core never imports Qt
    return app.main(resolve_db_url(args.db))


def _db_upgrade(args: argparse.Namespace) -> int:
    from cati.storage.migrate import current_revision

    database = open_database(args)
    print(f"database at revision {current_revision(database.engine)}")
    return 0


def _db_current(args: argparse.Namespace) -> int:
    from cati.storage.migrate import current_revision, head_revision

    database = open_database(args, upgrade=False)
    print(f"{current_revision(database.engine)} (newest: {head_revision()})")
    return 0


def _db_grant(args: argparse.Namespace) -> int:
    """Print (or, with --apply, run as the connected owner) the membership statement. What each
    group may do is granted by the migrations (cati.storage.pg_security)."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ProgrammingError

    from cati.storage.migrate import grant_statements

    url = make_url(resolve_db_url(args.db))
    if url.get_backend_name() != "postgresql":
        raise CatiError("database roles are a PostgreSQL matter: give --db postgresql://OWNER@…")
    statements = grant_statements(args.role, group=args.group,
                                  database=url.database or "DATABASE")
    if not args.apply:
        print("\n".join(statements))
        return 0
    database = open_database(args)
    try:
        with database.unit() as session:
            for statement in statements:
                session.execute(text(statement))
    except ProgrammingError as exc:  # e.g. 42704: the role does not exist
        raise CatiError(f"cannot grant to {args.role}: {_first_line(exc)}") from None
    print(f"granted {args.role} the group cati_{args.group}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from cati.services.demo import build_demo_history, create_demo

    database = open_database(args)
    with database.unit() as session:
        result = create_demo(session)
    project = result.project
    if not result.created:
        print(f"demo project {project.code} already exists ({project.cases} numbers)")
        return 0
    print(f"created demo project {project.code}: {project.name}, {project.cases} numbers")
    if result.passwords:
        print("accounts (the passwords are shown only this once):")
        for username, password in result.passwords.items():
            print(f"  {username:<14} {password}")
    if not args.sample_only:
        print("playing the demo's earlier months of calls (a minute or two) …", flush=True)
        for wave in build_demo_history(database, progress=lambda line: print(line, flush=True)):
            print(f"  {wave.project_code}: {wave.calls} calls, {wave.completes} completes, "
                  f"{wave.screened_out} screened out, {wave.refusals} refusals")
    return 0


def _project_create(args: argparse.Namespace) -> int:
    from cati.services.projects import create_project

    database = open_database(args)
    with database.unit() as session:
        project = create_project(session, args.code, args.form, name=args.name,
                                 default_area_code=args.default_area_code,
                                 centre_name=args.centre_name)
    print(f"created project {project.code}: {project.name} "
          f"(form {project.form_id} version {project.form_version})")
    return 0


def _project_list(args: argparse.Namespace) -> int:
    from cati.services.projects import list_projects

    with open_database(args).unit() as session:
        projects = list_projects(session)
    if args.json:
        print(json.dumps([{"code": p.code, "name": p.name, "status": p.status,
                           "form_id": p.form_id, "form_version": p.form_version,
                           "cases": p.cases} for p in projects], ensure_ascii=False))
        return 0
    for p in projects:
        print(f"{p.code:<16} {p.status:<8} {p.cases:>8} numbers  {p.form_id} v{p.form_version}  "
              f"{p.name}")
    return 0


def _users_add(args: argparse.Namespace) -> int:
    from cati.services.users import add_user, audit_user_added

    password = _read_password(args.password_stdin)
    with open_database(args).unit() as session:
        user = add_user(session, args.name, password, args.role, args.display_name)
        audit_user_added(session, user, None)  # the store records who ran it
    print(f"added {user.role} {user.username}")
    return 0


def _account_change(args: argparse.Namespace, change) -> int:
    """Run ``change(database, acting_id, user_id)`` from cati.services.admin as the command's
    login (an admin's account); the owner (or the SQLite file's owner), who has none, acts as
    the first active admin: the audit log records the login or account that ran it."""
    from sqlalchemy import select

    from cati.services.users import acting_user_id, user_id_of
    from cati.storage.models import User

    database = open_database(args)
    target = user_id_of(database, args.name)
    acting = acting_user_id(database, None)
    if acting is None:
        with database.unit(immediate=False) as session:
            acting = session.scalar(select(User.id).where(User.role == "admin",
                                                          User.active.is_(True))
                                    .order_by(User.id).limit(1))
        if acting is None:
            raise CatiError("there is no active admin account: add one with "
                            "`cati users add NAME --role admin`")
    info = change(database, acting, target)
    state = "" if info.active else " (inactive)"
    print(f"{info.username}: {info.role}{state}")
    return 0


def _users_reset(args: argparse.Namespace) -> int:
    from cati.services import admin

    password = _read_password(args.password_stdin)
    return _account_change(args, lambda db, acting, target: admin.reset_password(
        db, acting, target, password))


def _users_role(args: argparse.Namespace) -> int:
    from cati.services import admin

    return _account_change(args, lambda db, acting, target: admin.change_role(
        db, acting, target, args.role))


def _users_active(args: argparse.Namespace, active: bool) -> int:
    from cati.services import admin

    change = admin.reactivate_user if active else admin.deactivate_user
    return _account_change(args, lambda db, acting, target: change(db, acting, target))


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CatiError("no terminal to ask for a password: use --password-stdin")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise CatiError("the two passwords differ")
    return first


def _users_list(args: argparse.Namespace) -> int:
    from cati.services.users import list_users

    with open_database(args).unit() as session:
        for user in list_users(session):
            state = "" if user.active else " (inactive)"
            print(f"{user.username:<16} {user.role:<12} {user.display_name}{state}")
    return 0


def _report_aapor(args: argparse.Namespace) -> int:
    from cati.services.aapor_report import aapor_report

    with open_database(args).unit() as session:
        rows = aapor_report(session, args.project, args.by)
    if args.json:
        print(json.dumps([{"group": r.group, "counts": r.counts, "rates": r.rates} for r in rows],
                         ensure_ascii=False))
        return 0
    print(f"{'group':<16} {'cases':>7} {'RR1':>6} {'RR3':>6} {'COOP1':>6} {'REF1':>6} "
          f"{'CON1':>6}  e")
    for row in rows:
        rates = row.rates
        shown = " ".join(_percent(rates[name]) for name in ("RR1", "RR3", "COOP1", "REF1", "CON1"))
        e = "—" if rates["e"] is None else f"{rates['e']:.3f} ({rates['e_method']})"
        print(f"{row.group:<16} {sum(row.counts.values()):>7} {shown}  {e}")
    return 0


def _case_explain(args: argparse.Namespace) -> int:
    from cati.calling.explain_case import explain_case
    from cati.services.clock import utc_now

    with open_database(args).unit() as session:
        explanation = explain_case(session, args.case_id, args.at or utc_now())
    when = explanation.next_callable_at
    if args.json:
        print(json.dumps({
            "case_id": args.case_id, "callable_now": explanation.callable_now,
            "next_callable_at": when.isoformat() if when else None,
            "checks": [{"rule": c.rule, "blocks": c.blocks, "detail": c.detail,
                        "until": c.until.isoformat() if c.until else None}
                       for c in explanation.checks]}, ensure_ascii=False))
        return 0
    for check in explanation.checks:
        mark = "✗ blocks" if check.blocks else "✓"
        until = f" (until {check.until.isoformat()})" if check.blocks and check.until else ""
        print(f"{mark:<9} {check.rule:<17} {check.detail}{until}")
    if explanation.callable_now:
        print("callable now (现在可拨打)")
    else:
        print(f"next callable at: {when.isoformat() if when else 'never (不再拨打)'}")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from cati.calling.simulate import simulate

    if args.interviewers < 1 or args.minutes <= 0 or args.speed <= 0:
        raise CatiError("--interviewers, --minutes and --speed must be above 0")
    database = open_database(args)
    if not args.force:
        from cati.calling.simulate import real_interviews

        with database.unit(immediate=False) as session:
            real = real_interviews(session, args.project)
        if real:
            raise CatiError(f"project {args.project} holds {real} real interviews: the "
                            "simulator would add made-up calls to them; use a test project, "
                            "or --force (项目已有真实访问)")
    database.dispose()
    result = simulate(database.url, args.project, args.interviewers, args.minutes,
                      seed=args.seed, speed=args.speed)
    print(f"{result.claims} calls, {result.completes} completes, claim p50 "
          f"{result.claim_p50_ms} ms, p99 {result.claim_p99_ms} ms, "
          f"{result.duplicate_claims} duplicate claims, {result.lost_answers} lost answers, "
          f"{result.missing_attempts} missing and {result.doubled_attempts} doubled attempts, "
          f"{result.answers_differ} interviews not as played")
    if args.json:
        print(json.dumps(result.as_json(), ensure_ascii=False))
    broken = (result.duplicate_claims + result.lost_answers + result.missing_attempts
              + result.doubled_attempts + result.answers_differ)
    if broken:
        print("error: the stored data differs from what the simulation did (see above)",
              file=sys.stderr)
        return 1
    return 0


def _instant(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a time like 2026-11-24T09:00+08:00") \
            from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"'{text}' needs its UTC offset, e.g. +08:00")
    return value


def _percent(value: object) -> str:
    return f"{'—':>6}" if value is None else f"{value:>6.1%}"


if __name__ == "__main__":
    sys.exit(main())
