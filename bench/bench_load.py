"""Load benchmark: N simulated students against the real app on 127.0.0.1.

    python bench/bench_load.py --n 20 50 --seconds 60                 # browser path; launches the app
    python bench/bench_load.py --n 20 50 --seconds 60 --path server   # today's server-rendered clips
    python bench/bench_load.py --url http://127.0.0.1:7860/ --n 2     # against a running app

Each student is a browser tab speaking Gradio's queue protocol (bench/browser_protocol.py): it
starts a session and hears the opening greeting, turns the camera on and, like the page's
ui/camera.js, POSTs a JPEG of a real face photo to the frame route every 0.5 s (a tick whose
previous frame is still on its way is skipped, and counts as not analysed), and sends a chat
message every `--message-every` seconds (with jitter)
for `--seconds`. Its page asks for the avatar `--path` through the hidden #avatar-mode input
(ui/BROWSER.md) and fetches every file a reply's feed names as the page does (bench/load_page.py:
motion rows + WAV on the browser path, each reply's parts read from its stream, ui/reply_stream.py;
JPEG sheets + WAV on the server path).
Reported per N: errors (must be 0); degraded replies (skipped, shortened, silent or drawn on the
server when the browser path was asked for; "cut" counts apart the replies still arriving when
the student sent the next message, which the app stops on purpose); p50/p95 seconds from sending
to the reply text, to its first frame on screen (first chunk's files fetched, plus on the browser
path the page's first-frame time, `--render-ms`, measured in Chromium by bench/bench_browser.py;
"part sent" is the server's share: send -> the first feed naming a spoken part) and to the whole
reply delivered; webcam frames analysed of those the camera offered (2 per second); the app's CPU (cores busy, its
child processes included: the face reader's, affect/face_process.py) and peak memory (the same processes' RSS
summed), per student too (memory: the level's growth over its start);
the bench's own CPU (its clients share the machine with the app); the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser_protocol import Camera, Event, Tab, fn_indices, input_elem_ids, jpeg_bytes
from load_page import Fetcher, PageReply

ROOT = Path(__file__).resolve().parents[1]
MODE_INPUT = "avatar-mode"  # the page's hidden input that says which path it asks for (ui/BROWSER.md)
# The page's time from a reply's files to its first frame on the canvas (browser path), measured in
# headless Chromium by bench/bench_browser.py (branch web, README, 2026-11-30 20:18): median 232 ms
# "first frame after the feed arrives" (it includes the page's own fetch, so this over-counts a little).
FIRST_BATCH_S = 0.232
TOPICS = ("fractions", "linear_equations", "percentages")
MESSAGES = ["3/4", "I don't get it", "hint please", "1/2", "why?", "this is boring", "2/3", "next", "ok", "7"]


def with_mode(slots: list[str], data: list[Any], mode: str, spoken: bool) -> list[Any]:
    """An event's input values with the page's path (`mode`) where its #avatar-mode input sits
    (ui/BROWSER.md); `slots` are the event's inputs' elem_ids (browser_protocol.input_elem_ids).
    `spoken`: the event answers with a spoken reply, so the browser path needs the input there."""
    if MODE_INPUT not in slots:
        if mode == "browser" and spoken:
            raise RuntimeError("This app has no #avatar-mode input, so it cannot serve the browser path yet; "
                               "run with --path server.")  # fmt: skip
        return data
    out = list(data)
    out.insert(slots.index(MODE_INPUT), mode)
    return out


@dataclass(frozen=True)
class Level:
    """What every simulated student of one load level does and how replies are judged."""

    url: str
    fns: dict[str, int]
    slots: dict[str, list[str]]  # api_name -> its inputs' elem_ids
    seconds: float
    every: float  # mean seconds between a student's messages
    frames: list[bytes]  # webcam frames (JPEGs), cycled
    path: str  # "browser" or "server": what the page asks for
    render_s: float  # the page's first-batch render time, added to the first frame on the browser path
    fetcher: Fetcher

    def data(self, api: str, values: list[Any], spoken: bool = False) -> list[Any]:
        return with_mode(self.slots[api], values, self.path, spoken)


@dataclass
class StudentLog:
    errors: list[str] = field(default_factory=list)
    text_s: list[float] = field(default_factory=list)  # send -> tutor's text on screen
    first_s: list[float] = field(default_factory=list)  # send -> first frame of the reply on screen
    named_s: list[float] = field(default_factory=list)  # send -> first spoken part named in a feed (server's part)
    done_s: list[float] = field(default_factory=list)  # send -> whole reply (all chunks) delivered
    degraded: Counter[str] = field(default_factory=Counter)  # why replies were not whole (load_page.py)
    messages: int = 0
    replies: int = 0  # spoken replies checked: openings + answers to messages
    frames_sent: int = 0  # frames the camera offered (2 per second), posted or skipped
    frames_analysed: int = 0
    frame_s: list[float] = field(default_factory=list)  # POST -> answer of each posted frame
    late: int = 0  # replies whose text arrived but whose chunks still came when the time bound ran out
    interrupted: int = 0  # replies still arriving when the student sent the next message (the app stops them)


def face_frames() -> list[bytes]:
    """Webcam frames of a real face photo (scikit-image's astronaut, public domain) at 320x240."""
    import cv2
    from skimage import data

    img = data.astronaut()[20:380, 60:480]
    base = cv2.resize(img, (320, 240), interpolation=cv2.INTER_AREA)
    rng = np.random.default_rng(0)
    return [jpeg_bytes(np.clip(base.astype(np.int16) + rng.integers(-6, 7, base.shape), 0, 255).astype(np.uint8))
            for _ in range(4)]  # fmt: skip


def submit_reply(tab: Tab, level: Level, api: str, values: list[Any]) -> tuple[Event, PageReply]:
    """Send an event whose answer is spoken; its page fetches the reply's files as they are named."""
    page = PageReply(level.fetcher)
    ev = tab.submit(api, level.data(api, values, spoken=True), listener=page.on_message)
    page.sent_at = ev.sent_at
    return ev, page


def check_reply(ev: Event, page: PageReply, level: Level, log: StudentLog, bound: float, text: bool,
                next_sent: float) -> None:  # fmt: skip
    """Wait (bounded) for one reply, then log its times and whether it came whole (`next_sent`: when
    the student sent the next message, which interrupts a reply still arriving)."""
    ev.done.wait(bound)
    if ev.done.is_set() and not ev.success:
        log.errors.append(f"reply: {json.dumps(ev.completed)[:300]}")
        return
    if text:
        t = ev.first_time(lambda s: '"process_generating"' in s and '"role": "assistant"' in s)
        if t is None:  # no text reply at all within the bound: an error
            log.errors.append("send: no text reply within the time bound")
            return
        log.text_s.append(t)
    if not ev.done.is_set():  # text shown, reply still coming when the bound ran out
        log.late += 1
        return
    page.wait_files(60)
    log.replies += 1
    log.done_s.append(ev.messages[-1][0] - ev.sent_at)
    named = page.first_named()
    if named is not None:
        log.named_s.append(named)
    first = page.first_frame(level.render_s)
    if first is not None:
        log.first_s.append(first)
    interrupted = ev.messages[-1][0] > next_sent
    log.interrupted += interrupted
    problems = page.problems(level.path, interrupted)
    log.degraded.update(problems)
    log.degraded["replies degraded"] += bool(problems)
    log.errors += [f"fetch failed: {p}" for p in page.files if p.endswith("#error")]
    log.errors += [f"reply stream: {e}" for e in page.stream_errors()]


def camera(cam: Camera, level: Level, log: StudentLog, t_end: float, stop: threading.Event) -> None:
    """The page's camera loop (ui/camera.js): a frame every 0.5 s, one on its way at a time."""
    next_frame = time.monotonic()
    while time.monotonic() < t_end and not stop.is_set():
        answer = cam.send(level.frames[log.frames_sent % len(level.frames)])
        log.frames_sent += 1
        log.frame_s.append(answer.seconds)
        log.frames_analysed += answer.analysed
        if answer.status != 200:
            log.errors.append(f"frame: {answer.status} {answer.error[:200]}")
        next_frame += 0.5
        while next_frame < time.monotonic():  # ticks that passed while the frame was on its way: skipped
            next_frame += 0.5
            log.frames_sent += 1
        time.sleep(max(0.0, next_frame - time.monotonic()))


def student(level: Level, idx: int, log: StudentLog, stop: threading.Event) -> None:
    """One simulated student for `level.seconds`: opening greeting, webcam at 2 fps, a message every ~`every` s."""
    rng = random.Random(idx)
    tab = Tab(level.url, level.fns)
    cam = Camera(tab)
    try:
        ev = tab.call("start", level.data("start", [None, f"load-{idx}", TOPICS[idx % len(TOPICS)]]))
        if not ev.success:
            log.errors.append(f"start: {json.dumps(ev.completed)[:200]}")
            return
        opening = submit_reply(tab, level, "speak_opening", [None])  # the page's follow-up of Start
        if not cam.toggle().success or not cam.token:
            log.errors.append("camera: no frame token in the camera button's answer")
            return
        sends: list[tuple[Event, PageReply]] = []
        t_end = time.monotonic() + level.seconds
        frames = threading.Thread(target=camera, args=(cam, level, log, t_end, stop), daemon=True)
        frames.start()
        next_msg = time.monotonic() + rng.uniform(0.5, level.every)
        while time.monotonic() < t_end and not stop.is_set():
            now = time.monotonic()
            if now >= next_msg:
                sends.append(submit_reply(tab, level, "send", [None, MESSAGES[(idx + log.messages) % len(MESSAGES)]]))
                log.messages += 1
                next_msg = now + level.every * rng.uniform(0.7, 1.3)
            time.sleep(max(0.0, min(t_end, next_msg) - time.monotonic()))
        frames.join(level.seconds + 60)
        cam.toggle()  # camera off: its token stops working
        nexts = [ev.sent_at for ev, _ in sends] + [float("inf")]
        check_reply(*opening, level, log, 180, text=False, next_sent=nexts[0])
        for (ev, page), next_sent in zip(sends, nexts[1:], strict=True):  # every reply, bounded
            bound = max(5.0, 180 - (time.monotonic() - t_end))
            check_reply(ev, page, level, log, bound, text=True, next_sent=next_sent)
    except Exception as err:  # a client-side failure is an error of this run, reported, not raised
        log.errors.append(f"{type(err).__name__}: {err}")
    finally:
        cam.close()
        tab.close()


class ProcStats:
    """CPU seconds and peak RSS of a process AND its live child processes (the app's face reader runs in
    one, affect/face_process.py), sampled from /proc; children that ended count through cutime/cstime."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        self.peak_rss_mb = 0.0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._sample, daemon=True)

    def tree(self) -> list[int]:
        """The process and its descendants alive now."""
        if self.pid is None:
            return []
        parents: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # it ended while we looked
                continue
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        found, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo += parents.get(pid, [])
        return found

    def cpu_s(self) -> float:
        if self.pid is None:
            return float("nan")
        total = 0.0
        for pid in self.tree():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
        return total / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        if self.pid is None:
            return float("nan")
        total = 0.0
        for pid in self.tree():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            total += next((int(ln.split()[1]) / 1024 for ln in status.splitlines() if ln.startswith("VmRSS:")), 0.0)
        return total

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            self.peak_rss_mb = max(self.peak_rss_mb, self.rss_mb())

    def __enter__(self) -> ProcStats:
        self.peak_rss_mb = self.rss_mb()
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def run_load(url: str, n: int, seconds: float, every: float, pid: int | None = None, *, path: str = "browser",
             render_s: float = FIRST_BATCH_S) -> dict[str, Any]:  # fmt: skip
    """N students for `seconds`; returns the summary numbers."""
    fetcher = Fetcher(url)
    level = Level(url, fn_indices(url), input_elem_ids(url), seconds, every, face_frames(), path, render_s, fetcher)
    logs = [StudentLog() for _ in range(n)]
    stop = threading.Event()
    stats = ProcStats(pid)
    cpu0, client0, t0 = stats.cpu_s(), time.process_time(), time.monotonic()
    with stats:
        rss0 = stats.peak_rss_mb
        threads = [threading.Thread(target=student, args=(level, i, logs[i], stop)) for i in range(n)]
        for t in threads:
            t.start()
            time.sleep(0.2)  # students arrive over a few seconds, not in one instant
        for t in threads:
            t.join(seconds + 300)
    wall = time.monotonic() - t0
    fetcher.close()
    keys = ("text_s", "named_s", "first_s", "done_s", "frame_s", "errors")
    merged = {k: [v for lg in logs for v in getattr(lg, k)] for k in keys}
    degraded: Counter[str] = sum((lg.degraded for lg in logs), Counter())
    cores = (stats.cpu_s() - cpu0) / wall if pid else float("nan")
    return {
        "n": n, "path": path, "seconds": round(wall, 1), "messages": sum(lg.messages for lg in logs),
        "replies": sum(lg.replies for lg in logs), "errors": len(merged["errors"]),
        "error_samples": merged["errors"][:3], "degraded": degraded.pop("replies degraded", 0),
        "degraded_why": dict(degraded),
        "text_p50": pct(merged["text_s"], 50), "text_p95": pct(merged["text_s"], 95),
        "named_p50": pct(merged["named_s"], 50), "named_p95": pct(merged["named_s"], 95),
        "first_p50": pct(merged["first_s"], 50), "first_p95": pct(merged["first_s"], 95),
        "done_p50": pct(merged["done_s"], 50), "done_p95": pct(merged["done_s"], 95),
        "frames_sent": sum(lg.frames_sent for lg in logs), "frames_analysed": sum(lg.frames_analysed for lg in logs),
        "frame_p50": pct(merged["frame_s"], 50), "frame_p95": pct(merged["frame_s"], 95),
        "late": sum(lg.late for lg in logs), "interrupted": sum(lg.interrupted for lg in logs),
        "cpu_cores": cores, "cores_per_student": cores / n,
        "peak_rss_mb": stats.peak_rss_mb, "mb_per_student": (stats.peak_rss_mb - rss0) / n,
        "client_cores": (time.process_time() - client0) / wall,
    }  # fmt: skip


def machine() -> str:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next((ln.split(":", 1)[1].strip() for ln in cpuinfo.read_text().splitlines()
                      if ln.startswith("model name")), "")  # fmt: skip
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return (f"{platform.platform()} | python {platform.python_version()} | {os.cpu_count()} CPUs ({model}) | "
            f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at start")  # fmt: skip


def launch_app(port: int, data_dir: str, extra: list[str], root: Path = ROOT) -> subprocess.Popen[bytes]:
    """`python -m ui.app` of the tree at `root` on 127.0.0.1:port; returns once it serves (or raises)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    cmd = [sys.executable, "-m", "ui.app", "--server.port", str(port), "--tutor.data_dir", data_dir, *extra]
    env["PYTHONPATH"] = str(root)
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(1)
    proc.kill()
    raise RuntimeError("the app did not serve within 300 s")


HEADER = ("   N path     secs  msgs replies errors degraded late cut  text p50/p95 s  part sent p50/p95 s  "
          "first frame p50/p95 s  "
          "whole p50/p95 s  frames sent/analysed      frame answer p50/p95 s  CPU cores (/student)  "
          "peak MB (MB/student)  bench cores")  # fmt: skip


def row(r: dict[str, Any]) -> str:
    analysed = r["frames_analysed"] / r["frames_sent"] if r["frames_sent"] else float("nan")
    return (f"{r['n']:>4} {r['path']:<8} {r['seconds']:>4.0f} {r['messages']:>5} {r['replies']:>7} {r['errors']:>6} "
            f"{r['degraded']:>8} {r['late']:>4} {r['interrupted']:>3}  {r['text_p50']:>6.2f} / {r['text_p95']:<6.2f} "
            f"{r['named_p50']:>7.2f} / {r['named_p95']:<8.2f} {r['first_p50']:>9.2f} / {r['first_p95']:<9.2f} "
            f"{r['done_p50']:>7.1f} / {r['done_p95']:<7.1f} "
            f"{r['frames_sent']:>6} / {r['frames_analysed']:<6} ({analysed:4.0%})  "
            f"{r['frame_p50']:>9.3f} / {r['frame_p95']:<10.3f} {r['cpu_cores']:>6.2f} "
            f"({r['cores_per_student']:.3f})  {r['peak_rss_mb']:>8.0f} ({r['mb_per_student']:>5.1f})  "
            f"{r['client_cores']:>10.2f}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1, 5, 10, 20], help="numbers of concurrent students")
    ap.add_argument("--seconds", type=float, default=60.0, help="how long each load level runs")
    ap.add_argument("--message-every", type=float, default=8.0, help="mean seconds between a student's messages")
    ap.add_argument("--url", default="", help="a running app (default: launch one with a fresh data folder)")
    ap.add_argument("--port", type=int, default=7870)
    ap.add_argument("--app-arg", action="append", default=[], help="extra flag for the launched app (repeatable)")
    ap.add_argument("--app-root", type=Path, default=ROOT, help="launch the app of this source tree (to compare)")
    ap.add_argument("--path", choices=("browser", "server"), default="browser",
                    help="the avatar path the pages ask for")  # fmt: skip
    ap.add_argument("--render-ms", type=float, default=1000 * FIRST_BATCH_S,
                    help="the page's first-batch render time, added to the first frame (browser path)")  # fmt: skip
    args = ap.parse_args()
    print(machine(), flush=True)
    print(f"app: {args.url or args.app_root}", flush=True)
    proc = None
    url = args.url
    if not url:
        data_dir = tempfile.mkdtemp(prefix="bench-load-")
        t0 = time.monotonic()
        proc = launch_app(args.port, data_dir, args.app_arg, args.app_root)
        url = f"http://127.0.0.1:{args.port}/"
        print(f"app ready in {time.monotonic() - t0:.1f} s (pid {proc.pid}, data {data_dir})", flush=True)
    try:
        render = f", first frame includes {args.render_ms:.0f} ms of page render (--render-ms)"
        print(f"each student: webcam 2 fps, a message every ~{args.message_every:.0f} s, {args.seconds:.0f} s per "
              f"level; path {args.path}" + (render if args.path == "browser" else ""))  # fmt: skip
        print(HEADER, flush=True)
        for n in args.n:
            result = run_load(url, n, args.seconds, args.message_every, proc.pid if proc else None, path=args.path,
                              render_s=args.render_ms / 1000)  # fmt: skip
            print(row(result), flush=True)
            if result["degraded_why"]:
                print("      degraded:", result["degraded_why"], flush=True)
            if result["error_samples"]:
                print("      errors:", result["error_samples"], flush=True)
            time.sleep(5)  # let queued renders drain between levels
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
