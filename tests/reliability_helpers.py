"""Shared helpers of the reliability tests: database backends, child processes, file snapshots.

Not a test module (pytest collects only test_*.py). Both log backends are real: a SQLite file
in a temporary folder, and a PostgreSQL server given by TUTOR_TEST_PG_URL (CI starts one with
scripts/ci_postgres.sh); each PostgreSQL test gets its own schema, dropped afterwards.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

PG_ENV = "TUTOR_TEST_PG_URL"
PG_SKIP_REASON = (
    f"{PG_ENV} is not set: no PostgreSQL server to test against. CI starts one "
    f'(export {PG_ENV}="$(scripts/ci_postgres.sh)"); run that script locally to include these tests.'
)
ROOT = Path(__file__).resolve().parents[1]
TEXT_WEIGHTS = ROOT / "affect" / "weights" / "text" / "model.safetensors"
AVATAR_WEIGHTS = ROOT / "gan" / "weights" / "default_avatar" / "model.safetensors"  # gan.pipeline.DEFAULT_CHECKPOINT


def pg_url() -> str | None:
    return os.environ.get(PG_ENV) or None


@contextmanager
def pg_schema_url(base_url: str) -> Iterator[str]:
    """A URL whose connections use a fresh, empty schema (search_path); the schema is dropped after."""
    from sqlalchemy import create_engine, text

    from tutor.store import normalise_url

    base = normalise_url(base_url)
    schema = f"rel_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def backend_url(kind: str, folder: Path) -> Iterator[str]:
    """A fresh, empty session-log URL of one backend ("sqlite" or "postgresql")."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'tutor.db'}"
        return
    base = pg_url()
    if base is None:
        pytest.skip(PG_SKIP_REASON)
    with pg_schema_url(base) as url:
        yield url


def require_text_affect() -> None:
    """Skip (with the reason) while the text-affect head of issue 3 is not shipped yet."""
    if not TEXT_WEIGHTS.is_file():
        pytest.skip(f"{TEXT_WEIGHTS.relative_to(ROOT)} is not shipped yet (issue 3); Tutor needs TextAffect.")


def require_avatar() -> None:
    """Skip (with the reason) while the trained avatar of issue 5 is not shipped yet."""
    if not AVATAR_WEIGHTS.is_file():
        pytest.skip(f"{AVATAR_WEIGHTS.relative_to(ROOT)} is not shipped yet (issue 5); the app needs the avatar.")


def rows_mentioning(engine: Any, needles: set[str]) -> dict[str, int]:
    """Rows in EVERY table of the database whose any text column equals or contains a needle.

    A witness that does not trust the store's own bookkeeping: it scans whatever tables exist,
    so a table added later is covered too.
    """
    from sqlalchemy import MetaData, String, Text, or_, select
    from sqlalchemy.types import JSON

    meta = MetaData()
    meta.reflect(engine)
    found: dict[str, int] = {}
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            cols = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            if not cols:
                continue
            conds = [c.cast(Text).contains(n) for c in cols for n in needles]
            count = len(conn.execute(select(table).where(or_(*conds))).all())
            if count:
                found[table.name] = count
    return found


def snapshot(folders: list[Path]) -> dict[Path, tuple[int, float]]:
    """(size, mtime) of every file under the folders (missing folders are empty)."""
    out: dict[Path, tuple[int, float]] = {}
    for folder in folders:
        if not folder.exists():
            continue
        for path in folder.rglob("*"):
            try:
                if path.is_file():
                    st = path.stat()
                    out[path] = (st.st_size, st.st_mtime)
            except OSError:
                continue
    return out


IMAGE_MAGIC: dict[str, bytes] = {
    "png": b"\x89PNG\r\n\x1a\n",
    "jpeg": b"\xff\xd8\xff",
    "gif": b"GIF8",
    "webp": b"WEBP",
    "bmp": b"BM",
    "y4m": b"YUV4MPEG2",
    "npy": b"\x93NUMPY",
}


def image_like(data: bytes) -> str | None:
    """The image format a blob looks like (magic bytes, base64 data URLs, raw frame sizes), or None."""
    head = data[:16]
    for name, magic in IMAGE_MAGIC.items():
        if head.startswith(magic) or (name == "webp" and data[8:12] == magic):
            return name
    if b"data:image/" in data or b"iVBORw0KGgo" in data or b"/9j/" in data[:64]:
        return "base64 image"
    if data[4:8] == b"ftyp":
        return "mp4"
    return None


@functools.cache
def text_affect() -> Any:
    """The real TextAffect, loaded once per test process (skips while it is not shipped)."""
    require_text_affect()
    from affect import TextAffect

    return TextAffect.load()


@functools.cache
def face_affect_static() -> Any:
    """The real FaceAffect in single-image mode, loaded once per test process."""
    from affect import FaceAffect
    from affect.config import FaceAffectConfig

    return FaceAffect.load(FaceAffectConfig(static_images=True))
