"""`tutor-admin` as an administrator runs it (a real subprocess on a real database), and the
server settings from Gradio's own environment variables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tutor.accounts import Accounts, codes
from tutor.store import Store
from ui.config import load_config

ROOT = Path(__file__).resolve().parents[1]
SLOW = pytest.mark.slow  # each admin command is a fresh Python process (~5-10 s here)


def admin(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tutor.admin", "--db-url", url, *args], input=stdin, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


@SLOW
def test_admin_manages_teachers_and_classes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tutor.db'}"
    made = admin(url, "--password-stdin", "teacher", "create", "ms-lee", stdin="a good long password\n")
    assert made.returncode == 0 and "created" in made.stdout, made.stderr
    assert "a good long password" not in made.stdout + made.stderr
    cls = admin(url, "class", "create", "ms-lee", "7B maths")
    code = cls.stdout.strip().rsplit(" ", 1)[-1]
    assert cls.returncode == 0 and codes.normalise_join_code(code)
    assert admin(url, "class", "code", "7B maths").stdout.strip() == code
    listing = admin(url, "class", "list", "--teacher", "ms-lee").stdout
    assert code in listing and "7B maths" in listing
    assert "ms-lee\t1 class(es)" in admin(url, "teacher", "list").stdout
    reset = admin(url, "--password-stdin", "teacher", "reset-password", "ms-lee", stdin="another long password\n")
    assert reset.returncode == 0, reset.stderr
    # The flag also works after the command (as `teacher create NAME --password-stdin`).
    other = admin(url, "teacher", "create", "mr-ng", "--password-stdin", stdin="a third long password\n")
    assert other.returncode == 0 and "created" in other.stdout, other.stderr
    store = Store(url)
    accounts = Accounts(store)
    assert accounts.authenticate("ms-lee", "another long password").name == "ms-lee"
    assert accounts.authenticate("mr-ng", "a third long password").name == "mr-ng"
    store.close()


@SLOW
def test_admin_errors_are_one_clear_sentence(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tutor.db'}"
    cases = [
        (("class", "create", "nobody", "X"), "", "no teacher named 'nobody'"),
        (("--password-stdin", "teacher", "create", "ms-lee"), "short\n", "at least 8 characters"),
        (("--password-stdin", "teacher", "reset-password", "ghost"), "long enough pw\n", "no teacher named 'ghost'"),
        (("class", "code", "missing"), "", "0 classes are called 'missing'"),
        (("--password-stdin", "teacher", "create", "Bad Name"), "long enough pw\n", "teacher name"),
    ]
    for args, stdin, message in cases:
        res = admin(url, *args, stdin=stdin)
        assert res.returncode == 2 and message in res.stderr and "Traceback" not in res.stderr, (args, res.stderr)


def test_gradio_server_variables_are_honoured() -> None:
    cfg = load_config([], env={"GRADIO_SERVER_NAME": "0.0.0.0", "GRADIO_SERVER_PORT": "7999"})
    assert (cfg.server.host, cfg.server.port) == ("0.0.0.0", 7999)
    both = load_config([], env={"GRADIO_SERVER_PORT": "7999", "TUTOR_PORT": "7001"})
    assert both.server.port == 7001  # TUTOR_* wins over GRADIO_*
    flag = load_config(["--server.port", "7002"], env={"GRADIO_SERVER_PORT": "7999"})
    assert flag.server.port == 7002  # the command line wins over both
