"""Schema migrations (alembic), run automatically when the app opens the database.

`upgrade(engine)` brings any database to the newest schema in place: an empty one gets every
table; a session log written before migrations existed (tables but no `alembic_version`) is
first stamped as the baseline revision, then upgraded, so nothing in it is lost. On PostgreSQL
an advisory lock makes replicas that start together migrate one after the other (SQLite is the
one-server default; threads of one process take turns).
"""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

FOLDER = Path(__file__).parent
BASELINE = "0001_session_log"  # the schema of the releases before accounts (tutor_sessions/turns/flags)
_PG_LOCK_KEY = 7_204_312_001  # any constant: the advisory-lock id of this app's migrations
# alembic's `context`/`op` are module-level proxies: two migrations in one process must not overlap.
_IN_PROCESS = threading.Lock()


def alembic_config(conn: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(FOLDER))
    cfg.attributes["connection"] = conn
    return cfg


def head() -> str:
    """The newest revision id."""
    rev = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert rev is not None
    return rev


def current(engine: Engine) -> str | None:
    """The database's revision (None: never migrated)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Upgrade the database to the newest schema (idempotent)."""
    with _IN_PROCESS, engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        cfg = alembic_config(conn)
        names = set(inspect(conn).get_table_names())
        if "alembic_version" not in names and "tutor_sessions" in names:
            command.stamp(cfg, BASELINE)  # a log from before migrations: it IS the baseline
        command.upgrade(cfg, "head")
