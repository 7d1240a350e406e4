"""Faults: SIGKILL mid-session, disk full, read-only data folder, missing or corrupt model files.

The killed processes are real child processes writing through the real store / Tutor; the
full disk is a real tiny tmpfs when this machine lets us mount one (CI runs as root), else a
real per-process file-size limit (RLIMIT_FSIZE, the kernel refuses the write with EFBIG).
"""

from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability_helpers import ROOT, backend_url
from reliability_helpers import text_affect as shared_text_affect

from tutor.errors import StoreError
from tutor.store import Store

CHILD = str(Path(__file__).with_name("reliability_child.py"))
ENV = {
    **os.environ,
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
}


class Child:
    """A child process whose stdout lines are collected by a thread (so reads can time out)."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, CHILD, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, cwd=ROOT
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.strip())

    def wait_for(self, n_turns: int, timeout: float) -> list[str]:
        got: list[str] = []
        deadline = time.monotonic() + timeout
        while sum(x.startswith("turn ") for x in got) < n_turns:
            try:
                got.append(self.lines.get(timeout=max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                err = self.proc.stderr.read() if self.proc.poll() is not None and self.proc.stderr else ""
                raise AssertionError(f"child gave {got} before the timeout; stderr: {err[-2000:]}") from None
        return got

    def kill(self) -> list[str]:
        """SIGKILL, then every line it had already flushed (those steps were acknowledged)."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        time.sleep(0.2)  # let the pump drain the pipe
        rest = []
        while not self.lines.empty():
            rest.append(self.lines.get())
        return rest


def acked_turns(lines: list[str]) -> dict[str, int]:
    return {p[1]: int(p[2]) for p in (x.split() for x in lines) if p[0] == "turn"}


def check_log_sound(store: Store, session_id: str, acked: dict[str, int]) -> list[dict]:
    """Every acknowledged turn is there, indices are gap-free, flags and turns agree, the file is sound."""
    turns = store.turns(session_id)
    by_id = {t["turn_id"]: t for t in turns}
    missing = {tid: i for tid, i in acked.items() if tid not in by_id or by_id[tid]["index"] != i}
    assert not missing, f"acknowledged turns lost after SIGKILL: {missing}"
    assert [t["index"] for t in turns] == list(range(len(turns)))
    flags = store.flags()
    assert {f["turn_id"] for f in flags} == {t["turn_id"] for t in turns if t["flagged"]}
    assert store.integrity_check() == "ok"
    if store.engine.dialect.name == "sqlite":
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    return turns


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sigkill_while_writing_loses_no_acknowledged_turn(backend: str, tmp_path: Path) -> None:
    """Kill a writer at random moments (often mid-transaction) twice; restart each time."""
    rng = random.Random(7)
    with backend_url(backend, tmp_path) as url:
        store = Store(url)
        sid = store.create_session("s-crash", "fractions", "p", 1)
        acked: dict[str, int] = {}
        for _ in range(2):
            child = Child("store", url, sid)
            lines = child.wait_for(rng.randint(20, 60), timeout=90)
            time.sleep(rng.uniform(0.0, 0.02))  # land inside a later add_turn
            lines += child.kill()
            acked.update(acked_turns(lines))
            turns = check_log_sound(store, sid, acked)
            assert len(turns) >= len(acked)  # a turn committed just before the kill may be unacknowledged
        assert len(acked) >= 40
        store.close()


@pytest.mark.slow
def test_sigkill_mid_tutoring_session_then_resume(tmp_path: Path) -> None:
    """A real Tutor session in a child process; SIGKILL; a new Tutor over the same log resumes it."""
    from tutor import Tutor, TutorConfig

    text = shared_text_affect()  # also skips while the text model is not shipped
    url = f"sqlite:///{tmp_path / 'tutor.db'}"
    child = Child("tutor", url, "-")
    lines = child.wait_for(4, timeout=240)
    lines += child.kill()
    sid = next(x.split()[1] for x in lines if x.startswith("session "))
    store = Store(url)
    before = check_log_sound(store, sid, acked_turns(lines))
    store.close()
    tutor = Tutor.create(db_url=url, config=TutorConfig(seed=7, load_face=False), text_affect=text)  # the restart
    resumed = tutor.resume_session(sid)
    assert resumed.opening.intent == "resume" and resumed.problem is not None
    assert resumed.problem.to_dict() == (before[-1]["problem"] or resumed.problem.to_dict())
    replies = [resumed.send(m) for m in ("I don't get it", "1/2")]
    after = check_log_sound(tutor.store, sid, {r.turn_id: r.turn_index for r in replies})
    assert len(after) == len(before) + 3 and after[: len(before)] == before  # history untouched
    tutor.close()


# -- disk full and read-only data folder -------------------------------------------------------------


def _record(idx: int, size: int) -> dict[str, object]:
    return {
        "idx": idx, "student_text": "y" * size, "intent": "answer", "text_affect": None, "face_affect": None,
        "fused_affect": {"label": "neutral"}, "move": "praise", "avatar_emotion": "happy", "intensity": 0.5,
        "tutor_text": "Right.", "tutor_spoken": "Right.", "problem": None, "correct": True, "mastery": {},
        "state": {},
    }  # fmt: skip


def _can_mount() -> bool:
    probe = Path(f"/tmp/rel-probe-{os.getpid()}")
    probe.mkdir(exist_ok=True)
    try:
        ok = (
            subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)], capture_output=True
            ).returncode
            == 0
        )
        if ok:
            subprocess.run(["umount", str(probe)], check=True)
        return ok
    except FileNotFoundError:
        return False
    finally:
        probe.rmdir()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 512 KiB filesystem (tmpfs); skips when mounting is not allowed here."""
    if not _can_mount():
        pytest.skip("cannot mount a tmpfs here (needs root/CAP_SYS_ADMIN); the RLIMIT_FSIZE test covers disk full")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mnt)], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill_until_error(store: Store, sid: str, start: int) -> tuple[int, StoreError]:
    idx = start
    for _ in range(10_000):
        try:
            store.add_turn(sid, _record(idx, 4000))
        except StoreError as err:
            return idx, err
        idx += 1
    raise AssertionError("the disk never filled up")


def test_disk_full_is_a_clear_error_and_nothing_is_half_written(small_disk: Path) -> None:
    store = Store(f"sqlite:///{small_disk / 'tutor.db'}")
    sid = store.create_session("s-full", "fractions", "p", 1)
    ballast = small_disk / "ballast"
    ballast.write_bytes(b"\x01" * 128 * 1024)  # the accounts schema: an empty log is 128 KiB (was 48)
    failed_at, err = _fill_until_error(store, sid, 0)
    assert "Could not save the turn in the session log" in str(err) and "full" in str(err), err
    assert failed_at > 3
    assert [t["index"] for t in store.turns(sid)] == list(range(failed_at))  # the failed turn left nothing
    ballast.unlink()  # space again: the same store carries on
    store.add_turn(sid, _record(failed_at, 10))
    assert [t["index"] for t in store.turns(sid)] == list(range(failed_at + 1))
    assert store.integrity_check() == "ok"
    store.close()


def test_read_only_data_folder_is_a_clear_error(tmp_path: Path) -> None:
    """A read-only folder (a read-only mount when we may mount one, else a chmod as non-root)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    Store(f"sqlite:///{folder / 'tutor.db'}").close()  # an existing log, then the folder turns read-only
    if _can_mount():
        subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)], check=True)
    elif os.geteuid() != 0:
        folder.chmod(0o500)
    else:
        pytest.skip("root without mount rights: cannot make a folder read-only for root")
    try:
        with pytest.raises(StoreError, match=r"Cannot open the session log .*not writable"):
            Store(f"sqlite:///{folder / 'tutor.db'}")
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True)
        folder.chmod(0o700)


def test_rlimit_disk_full_mid_session_then_recovers(tmp_path: Path) -> None:
    """The kernel refuses writes past a file-size limit (EFBIG): a turn fails cleanly, the next succeeds."""
    code = f"""
import os, resource, signal, sys
sys.path.insert(0, {str(ROOT)!r})
sys.path.insert(0, {str(Path(__file__).parent)!r})
from test_reliability_faults import _record
from tutor.errors import StoreError
from tutor.store import Store
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
folder = {str(tmp_path)!r}
store = Store("sqlite:///" + folder + "/tutor.db")
sid = store.create_session("s-full", "fractions", "p", 1)
for i in range(3):
    store.add_turn(sid, _record(i, 3000))
limit = max(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder)) + 16384
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
i = 3
try:
    while i < 1000:
        store.add_turn(sid, _record(i, 3000)); i += 1
    print("never failed"); sys.exit(1)
except StoreError as err:
    print("error", i, str(err).splitlines()[0])
resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
store.add_turn(sid, _record(i, 10))
print("turns", [t["index"] for t in store.turns(sid)] == list(range(i + 1)), store.integrity_check())
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    assert lines[0].startswith("error ") and "Could not save the turn in the session log" in lines[0]
    assert lines[1] == "turns True ok", lines
