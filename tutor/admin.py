"""`tutor-admin`: manage teacher accounts and classes from the server's shell.

    tutor-admin teacher create ms-lee          # asks for the password twice (never on the command line)
    tutor-admin teacher list
    tutor-admin teacher reset-password ms-lee
    tutor-admin class create ms-lee "7B maths" # prints the join code
    tutor-admin class list [--teacher ms-lee]
    tutor-admin class code "7B maths"          # by name or id

The database is the app's: --db-url, else TUTOR_DB_URL, else the SQLite file under TUTOR_DATA_DIR
(./data). Passwords come from a prompt, or one line on stdin with --password-stdin (scripts).
Whoever can run this on the server can read the database anyway, so it asks for no teacher
password. Errors are one sentence on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence

from tutor.accounts import Accounts
from tutor.config import TutorConfig
from tutor.errors import TutorError
from tutor.store import Store


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tutor-admin", description="Manage teacher accounts and classes.")
    p.add_argument("--db-url", default="", help="SQLAlchemy URL of the database (default: as the app)")
    stdin_help = "read the password from one line of stdin"
    p.add_argument("--password-stdin", action="store_true", help=stdin_help)
    what = p.add_subparsers(dest="what", required=True)
    teacher = what.add_parser("teacher", help="teacher accounts").add_subparsers(dest="action", required=True)
    new_teacher = teacher.add_parser("create", help="create a teacher")
    teacher.add_parser("list", help="list teachers")
    reset = teacher.add_parser("reset-password", help="set a new password (logs the teacher out)")
    for sub in (new_teacher, reset):
        sub.add_argument("name")
        # Also after the command, where a script writer puts it (SUPPRESS: absent here, the global one counts).
        sub.add_argument("--password-stdin", action="store_true", default=argparse.SUPPRESS, help=stdin_help)
    klass = what.add_parser("class", help="classes").add_subparsers(dest="action", required=True)
    create = klass.add_parser("create", help="create a class for a teacher and print its join code")
    create.add_argument("teacher")
    create.add_argument("name")
    listing = klass.add_parser("list", help="list classes with their codes")
    listing.add_argument("--teacher", default=None)
    klass.add_parser("code", help="show a class's join code").add_argument("klass", metavar="CLASS")
    return p


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise ValueError("The two passwords differ; nothing was changed.")
    return first


def run(args: argparse.Namespace) -> str:
    """Carry out one command; returns what to print."""
    url = args.db_url or TutorConfig(db_url=os.environ.get("TUTOR_DB_URL", "")).resolved_db_url()
    store = Store(url)  # runs the migrations, like the app
    try:
        accounts = Accounts(store)
        if args.what == "teacher" and args.action == "create":
            accounts.create_teacher(args.name, _password(args.password_stdin))
            return f"Teacher {args.name!r} created."
        if args.what == "teacher" and args.action == "list":
            rows = accounts.list_teachers()
            return "\n".join(f"{name}\t{n} class(es)" for name, n in rows) or "No teachers yet."
        if args.what == "teacher" and args.action == "reset-password":
            accounts.set_password(args.name, _password(args.password_stdin))
            return f"Password of {args.name!r} reset; their open logins no longer work."
        classes = accounts.all_classes()
        if args.action == "create":
            teacher = accounts.find_teacher(args.teacher)
            if teacher is None:
                raise ValueError(f"There is no teacher named {args.teacher!r} (see `tutor-admin teacher list`).")
            info = accounts.create_class(teacher, args.name)
            return f"Class {info.name!r} created for {teacher.name}. Join code: {info.code}"
        if args.action == "list":
            shown = [(c, t) for c, t in classes if args.teacher is None or t == args.teacher]
            lines = [f"{c.code}\t{c.name}\t{t or '(no teacher)'}\t{c.n_students} student(s)\t{c.id}" for c, t in shown]
            return "\n".join(lines) or "No classes yet."
        found = [c for c, _ in classes if args.klass in (c.id, c.name)]
        if len(found) != 1:
            raise ValueError(
                f"{len(found)} classes are called {args.klass!r}; give the class id (tutor-admin class list)."
            )
        return found[0].code
    finally:
        store.close()


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    try:
        print(run(args))
    except (ValueError, TutorError) as err:
        print(f"tutor-admin: {err}", file=sys.stderr)
        raise SystemExit(2) from err


if __name__ == "__main__":
    main()
