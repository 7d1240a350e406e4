"""Teachers, classes and students in the database: create, log in, join, resume.

Everything that checks a secret lives here: teacher passwords (argon2id, with a lock-out per
account), class join codes and student resume codes (random, with a limit on failed attempts
per client), and teacher login tokens. Callers pass a `client` key (the UI passes the network
address) so one client's guessing never slows another client down.
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tutor.accounts import codes
from tutor.accounts.config import AccountsConfig
from tutor.accounts.lockout import LoginGuard
from tutor.accounts.passwords import hash_password, needs_rehash, verify_password
from tutor.accounts.ratelimit import AttemptGuard
from tutor.accounts.tokens import LoginTokens, password_fingerprint
from tutor.accounts.types import ClassInfo, StudentLogin
from tutor.errors import StoreError
from tutor.store import Store, check_student_id, new_id, utcnow
from tutor.tables import ClassRow, SettingRow, StudentRow, TeacherRow

log = logging.getLogger("tutor.accounts")

_TEACHER_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # base32: the random tail of a student id
MAX_CLASS_NAME = 120
MAX_PSEUDONYM = 48  # leaves room for "~" and the 10-letter tail in a 64-character student id
TOKEN_KEY_SETTING = "teacher_token_key"


@dataclass(frozen=True)
class Teacher:
    id: str
    name: str
    password_hash: str


def check_teacher_name(name: object) -> str:
    if not isinstance(name, str) or not _TEACHER_NAME.match(name):
        raise ValueError(
            "A teacher name has 2-64 lower-case letters, digits, '.', '_' or '-' and starts with a letter "
            "or digit, e.g. 'ms-lee'."
        )
    return name


def check_pseudonym(pseudonym: object) -> str:
    """A class pseudonym: a practice pseudonym (normalised), never a class student's id."""
    if isinstance(pseudonym, str) and "~" in pseudonym:
        raise ValueError("A pseudonym has letters, digits and spaces only (also . _ - ').")
    name = check_student_id(pseudonym)
    if len(name) > MAX_PSEUDONYM:
        raise ValueError(f"A pseudonym has at most {MAX_PSEUDONYM} characters.")
    return name


class Accounts:
    """The account operations over the session log's database."""

    def __init__(self, store: Store, config: AccountsConfig | None = None) -> None:
        self.store = store
        self.config = config or AccountsConfig()
        self.logins = LoginGuard(self.config.lockout)
        self.joins = AttemptGuard(self.config.attempts.join, "class code")
        self.resumes = AttemptGuard(self.config.attempts.resume, "resume code")
        self.tokens = LoginTokens(self._token_key(), self.config.token_max_age_s)

    # --- teachers ------------------------------------------------------------------------------
    def create_teacher(self, name: str, password: str) -> Teacher:
        check_teacher_name(name)
        row = TeacherRow(id=new_id(), name=name, password_hash=hash_password(password), created_at=utcnow())
        try:
            self.store.write(lambda db: db.add(row), "create the teacher")
        except StoreError as err:
            if isinstance(err.__cause__, IntegrityError):
                raise ValueError(f"A teacher named {name!r} already exists.") from err
            raise
        log.info("teacher account %r created", name)
        return Teacher(row.id, name, row.password_hash)

    def set_password(self, name: str, password: str) -> Teacher:
        """Reset a teacher's password (revokes their login tokens); ValueError if no such teacher."""
        check_teacher_name(name)
        new_hash = hash_password(password)

        def write(db: Session) -> None:
            row = db.scalar(select(TeacherRow).where(TeacherRow.name == name))
            if row is None:
                raise ValueError(f"There is no teacher named {name!r}.")
            row.password_hash = new_hash
            found.append(Teacher(row.id, row.name, new_hash))

        found: list[Teacher] = []
        self.store.write(write, "reset the password")
        self.logins.succeeded(name)  # an administrator's reset also lifts a lock
        log.info("password of teacher %r reset", name)
        return found[0]

    def ensure_teacher(self, name: str, password: str) -> Teacher:
        """Create the teacher, or set their password if it differs (TUTOR_TEACHER_PASSWORD at start)."""
        existing = self.find_teacher(name)
        if existing is None:
            return self.create_teacher(name, password)
        if verify_password(existing.password_hash, password):
            return existing
        return self.set_password(name, password)

    def find_teacher(self, name: str) -> Teacher | None:
        with self.store.read() as db:
            row = db.scalar(select(TeacherRow).where(TeacherRow.name == name))
            return Teacher(row.id, row.name, row.password_hash) if row else None

    def teacher_by_id(self, teacher_id: str) -> Teacher | None:
        with self.store.read() as db:
            row = db.get(TeacherRow, teacher_id)
            return Teacher(row.id, row.name, row.password_hash) if row else None

    def list_teachers(self) -> list[tuple[str, int]]:
        """(name, number of classes) of every teacher."""
        n = select(func.count()).where(ClassRow.teacher_id == TeacherRow.id).scalar_subquery()
        with self.store.read() as db:
            return [(name, int(k)) for name, k in db.execute(select(TeacherRow.name, n).order_by(TeacherRow.name))]

    def authenticate(self, name: object, password: object) -> Teacher:
        """The teacher, or PermissionError (wrong name or password; TooManyAttemptsError while locked)."""
        key = name.strip().lower()[:64] if isinstance(name, str) else ""
        self.logins.check(key)
        teacher = self.find_teacher(key) if _TEACHER_NAME.match(key) else None
        if not verify_password(teacher.password_hash if teacher else None, password) or teacher is None:
            self.logins.failed(key)
            raise PermissionError("Wrong teacher name or password.")
        self.logins.succeeded(key)
        if needs_rehash(teacher.password_hash):  # stronger defaults since the hash was made
            assert isinstance(password, str)
            teacher = self.set_password(teacher.name, password)
        return teacher

    def issue_token(self, teacher: Teacher) -> str:
        return self.tokens.issue(teacher.id, teacher.password_hash)

    def teacher_from_token(self, token: object) -> Teacher:
        """The teacher a valid login token names, else PermissionError."""
        claims = self.tokens.read(token)
        teacher = self.teacher_by_id(claims.teacher_id)
        current = password_fingerprint(teacher.password_hash) if teacher else ""
        if teacher is None or not secrets.compare_digest(current, claims.fingerprint):
            raise PermissionError("This teacher login is no longer valid; please log in again.")
        return teacher

    # --- classes -------------------------------------------------------------------------------
    def create_class(self, teacher: Teacher, name: str) -> ClassInfo:
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_CLASS_NAME:
            raise ValueError(f"A class needs a name of 1-{MAX_CLASS_NAME} characters, e.g. '7B maths'.")
        for _ in range(5):  # a clash of 44-bit codes is vanishingly rare; retry anyway
            row = ClassRow(id=new_id(), teacher_id=teacher.id, name=name.strip(), code=codes.new_join_code(),
                           created_at=utcnow())  # fmt: skip
            try:
                self.store.write(functools.partial(Session.add, instance=row), "create the class")
            except StoreError as err:
                if isinstance(err.__cause__, IntegrityError):
                    continue
                raise
            log.info("class %s created by teacher %r", row.id, teacher.name)
            return ClassInfo(row.id, row.name, codes.show_join_code(row.code), 0)
        raise StoreError("Could not find a free class code; please try again.")

    def classes_of(self, teacher: Teacher) -> list[ClassInfo]:
        n = select(func.count()).where(StudentRow.class_id == ClassRow.id).scalar_subquery()
        stmt = select(ClassRow, n).where(ClassRow.teacher_id == teacher.id).order_by(ClassRow.created_at)
        with self.store.read() as db:
            return [ClassInfo(r.id, r.name, codes.show_join_code(r.code), int(k)) for r, k in db.execute(stmt)]

    def all_classes(self) -> list[tuple[ClassInfo, str | None]]:
        """Every class with its teacher's name (None: no teacher yet), oldest first (for tutor-admin)."""
        n = select(func.count()).where(StudentRow.class_id == ClassRow.id).scalar_subquery()
        stmt = (
            select(ClassRow, TeacherRow.name, n)
            .outerjoin(TeacherRow, TeacherRow.id == ClassRow.teacher_id)
            .order_by(ClassRow.created_at)
        )
        with self.store.read() as db:
            return [(ClassInfo(r.id, r.name, codes.show_join_code(r.code), int(k)), t) for r, t, k in db.execute(stmt)]

    def adopt_unowned_classes(self, teacher: Teacher) -> int:
        """Give classes without a teacher (the migrated "Earlier sessions") to this teacher."""
        moved: list[int] = []

        def write(db: Session) -> None:
            rows = db.scalars(select(ClassRow).where(ClassRow.teacher_id.is_(None))).all()
            for row in rows:
                row.teacher_id = teacher.id
            moved.append(len(rows))

        self.store.write(write, "adopt the earlier sessions")
        return moved[0]

    # --- students ------------------------------------------------------------------------------
    def join_class(self, code: object, pseudonym: object, client: str = "local") -> StudentLogin:
        """A new student in the class with this code; ValueError for a wrong code or a taken name."""
        self.joins.check(client)
        name = check_pseudonym(pseudonym)
        try:
            canonical = codes.normalise_join_code(code)
        except ValueError:
            self.joins.failed(client)
            raise
        with self.store.read() as db:
            cls = db.scalar(select(ClassRow).where(ClassRow.code == canonical))
        if cls is None:
            self.joins.failed(client)
            raise ValueError("No class has this code. Check it with your teacher.")
        resume = codes.new_resume_code()
        student_id = f"{name}~{''.join(secrets.choice(_ID_ALPHABET) for _ in range(10))}"
        row = StudentRow(id=student_id, class_id=cls.id, pseudonym=name, resume_digest=codes.resume_digest(resume),
                         created_at=utcnow(), last_active=None)  # fmt: skip
        try:
            self.store.write(lambda db: db.add(row), "join the class")
        except StoreError as err:
            if isinstance(err.__cause__, IntegrityError):
                raise ValueError(
                    f"Someone in this class already uses the name {name!r}. Pick another, or come back "
                    "with your come-back code if it is you."
                ) from err
            raise
        log.info("student %s joined class %s", student_id, cls.id)
        return StudentLogin(student_id, resume, name, cls.id, cls.name)

    def resume_student(self, resume_code: object, client: str = "local") -> StudentLogin:
        """The student this resume code belongs to; ValueError when it belongs to nobody."""
        self.resumes.check(client)
        try:
            canonical = codes.normalise_resume_code(resume_code)
        except ValueError:
            self.resumes.failed(client)
            raise
        digest = codes.resume_digest(canonical)
        with self.store.read() as db:
            found = db.execute(
                select(StudentRow, ClassRow.name).join(ClassRow).where(StudentRow.resume_digest == digest)
            ).first()
        if found is None:
            self.resumes.failed(client)
            raise ValueError("This come-back code belongs to nobody. Check the six words, or join your class again.")
        row, class_name = found
        return StudentLogin(row.id, canonical, row.pseudonym, row.class_id, class_name)

    # --- the token signing key -----------------------------------------------------------------
    def _token_key(self) -> str:
        """The shared signing key: made once (256 random bits) and kept in the database."""
        with self.store.read() as db:
            row = db.get(SettingRow, TOKEN_KEY_SETTING)
        if row is not None:
            return row.value
        key = secrets.token_urlsafe(32)
        try:
            self.store.write(lambda db: db.add(SettingRow(key=TOKEN_KEY_SETTING, value=key)), "store the token key")
        except StoreError as err:  # another replica made it first: use theirs
            if not isinstance(err.__cause__, IntegrityError):
                raise
        with self.store.read() as db:
            made = db.get(SettingRow, TOKEN_KEY_SETTING)
        assert made is not None
        return made.value
