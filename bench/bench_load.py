"""Load benchmark: N simulated students against the real app on 127.0.0.1.

    python bench/bench_load.py --n 1 5 10 20 --seconds 60          # launches the app itself
    python bench/bench_load.py --url http://127.0.0.1:7860/ --n 2   # against a running app

Each student is a browser tab speaking Gradio's queue protocol (bench/browser_protocol.py):
start a session, turn the camera on, stream webcam frames of a real face photo at 2 fps, and
send a chat message every `--message-every` seconds (with jitter) for `--seconds`. Reported
per N: errors (must be 0), p50/p95 seconds from sending to the reply text, to the first
playable reply clip and to the whole reply, frames analysed vs dropped, and the app process's
CPU (cores busy, children such as ffmpeg included) and peak memory, plus the machine. "late"
counts replies whose text arrived but whose clip was still rendering when the time bound ran out.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser_protocol import Tab, Webcam, fn_indices, jpeg_data_url

ROOT = Path(__file__).resolve().parents[1]
TOPICS = ("fractions", "linear_equations", "percentages")
MESSAGES = ["3/4", "I don't get it", "hint please", "1/2", "why?", "this is boring", "2/3", "next", "ok", "7"]


def is_reply_clip(text: str) -> bool:
    """An avatar feed update that carries a reply chunk (ui/avatar.py: only reply chunks have speech
    as .wav; the idle loop is a silent sheet)."""
    return "data-avatar" in text and ".wav" in text


@dataclass
class StudentLog:
    errors: list[str] = field(default_factory=list)
    text_s: list[float] = field(default_factory=list)  # send -> tutor's text on screen
    clip_s: list[float] = field(default_factory=list)  # send -> first reply clip playable
    done_s: list[float] = field(default_factory=list)  # send -> whole reply (all clip parts) delivered
    messages: int = 0
    frames_sent: int = 0
    frames_analysed: int = 0
    queue_notes: int = 0  # progress updates that showed a queue position / render progress
    late: int = 0  # replies whose text arrived but whose clip was still rendering at the time bound


def face_frames() -> list[str]:
    """Webcam frames of a real face photo (scikit-image's astronaut, public domain) at 320x240."""
    import cv2
    from skimage import data

    img = data.astronaut()[20:380, 60:480]
    base = cv2.resize(img, (320, 240), interpolation=cv2.INTER_AREA)
    rng = np.random.default_rng(0)
    return [jpeg_data_url(np.clip(base.astype(np.int16) + rng.integers(-6, 7, base.shape), 0, 255).astype(np.uint8))
            for _ in range(4)]  # fmt: skip


def student(url: str, fns: dict[str, int], idx: int, seconds: float, every: float, frames: list[str],
            log: StudentLog, stop: threading.Event) -> None:  # fmt: skip
    """One simulated student for `seconds`: webcam at 2 fps, a message every `every` s."""
    rng = random.Random(idx)
    tab = Tab(url, fns)
    try:
        ev = tab.call("start", [None, f"load-{idx}", TOPICS[idx % len(TOPICS)]])
        if not ev.success:
            log.errors.append(f"start: {json.dumps(ev.completed)[:200]}")
            return
        tab.call("camera", [None])
        cam = Webcam(tab)
        sends: list[Any] = []
        t_end = time.monotonic() + seconds
        next_msg = time.monotonic() + rng.uniform(0.5, every)
        next_frame = time.monotonic()
        while time.monotonic() < t_end and not stop.is_set():
            now = time.monotonic()
            if now >= next_frame:
                cam.send(frames[log.frames_sent % len(frames)])
                log.frames_sent += 1
                next_frame += 0.5
            if now >= next_msg:
                sends.append(tab.submit("send", [None, MESSAGES[(idx + log.messages) % len(MESSAGES)]]))
                log.messages += 1
                next_msg = now + every * rng.uniform(0.7, 1.3)
            time.sleep(max(0.0, min(next_frame, next_msg) - time.monotonic()))
        cam.stop()
        for ev in sends:  # wait for every reply to finish (bounded)
            ev.done.wait(max(5.0, 180 - (time.monotonic() - t_end)))
            text = ev.first_time(lambda s: '"process_generating"' in s and '"role": "assistant"' in s)
            if ev.done.is_set() and not ev.success:
                log.errors.append(f"send: {json.dumps(ev.completed)[:300]}")
                continue
            if text is None:  # no text reply at all within the bound: an error
                log.errors.append("send: no text reply within the time bound")
                continue
            log.text_s.append(text)
            clip = ev.first_time(lambda s: '"process_' in s and is_reply_clip(s))
            if clip is not None:
                log.clip_s.append(clip)
            if not ev.done.is_set():  # text shown, clip still rendering when the bound ran out
                log.late += 1
                continue
            log.done_s.append(ev.messages[-1][0] - ev.sent_at)
            log.queue_notes += sum("ahead of yours" in json.dumps(m) for _, m in ev.messages)
        replies = cam.replies()
        log.frames_analysed += sum("mood-indicator" in json.dumps(m) for _, m in replies)
        log.errors += [f"frame: {json.dumps(m)[:200]}" for _, m in replies if m.get("success") is False]
    except Exception as err:  # a client-side failure is an error of this run, reported, not raised
        log.errors.append(f"{type(err).__name__}: {err}")
    finally:
        tab.close()


class ProcStats:
    """CPU seconds (self + waited-for children) and peak RSS of a process, sampled from /proc."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        self.peak_rss_mb = 0.0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._sample, daemon=True)

    def cpu_s(self) -> float:
        if self.pid is None:
            return float("nan")
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime

    def rss_mb(self) -> float:
        if self.pid is None:
            return float("nan")
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

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


def run_load(url: str, n: int, seconds: float, every: float, pid: int | None = None) -> dict[str, Any]:
    """N students for `seconds`; returns the summary numbers."""
    fns = fn_indices(url)
    frames = face_frames()
    logs = [StudentLog() for _ in range(n)]
    stop = threading.Event()
    stats = ProcStats(pid)
    cpu0, t0 = stats.cpu_s(), time.monotonic()
    with stats:
        threads = [threading.Thread(target=student, args=(url, fns, i, seconds, every, frames, logs[i], stop))
                   for i in range(n)]  # fmt: skip
        for t in threads:
            t.start()
            time.sleep(0.2)  # students arrive over a few seconds, not in one instant
        for t in threads:
            t.join(seconds + 300)
    wall = time.monotonic() - t0
    merged = {k: [v for lg in logs for v in getattr(lg, k)] for k in ("text_s", "clip_s", "done_s", "errors")}
    return {
        "n": n, "seconds": round(wall, 1), "messages": sum(lg.messages for lg in logs),
        "replies": len(merged["done_s"]), "errors": len(merged["errors"]), "error_samples": merged["errors"][:3],
        "text_p50": pct(merged["text_s"], 50), "text_p95": pct(merged["text_s"], 95),
        "clip_p50": pct(merged["clip_s"], 50), "clip_p95": pct(merged["clip_s"], 95),
        "done_p50": pct(merged["done_s"], 50), "done_p95": pct(merged["done_s"], 95),
        "frames_sent": sum(lg.frames_sent for lg in logs), "frames_analysed": sum(lg.frames_analysed for lg in logs),
        "queue_notes": sum(lg.queue_notes for lg in logs), "late": sum(lg.late for lg in logs),
        "cpu_cores": (stats.cpu_s() - cpu0) / wall if pid else float("nan"), "peak_rss_mb": stats.peak_rss_mb,
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


def launch_app(port: int, data_dir: str, extra: list[str]) -> subprocess.Popen[bytes]:
    """`python -m ui.app` on 127.0.0.1:port; returns once it serves (or raises)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    cmd = [sys.executable, "-m", "ui.app", "--server.port", str(port), "--tutor.data_dir", data_dir, *extra]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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


HEADER = ("   N  secs  msgs  errors  late  text p50/p95 s  clip p50/p95 s  whole p50/p95 s  frames sent/analysed  "
          "queue notes  CPU cores  peak MB")  # fmt: skip


def row(r: dict[str, Any]) -> str:
    return (f"{r['n']:>4} {r['seconds']:>5.0f} {r['messages']:>5} {r['errors']:>7} {r['late']:>5}  "
            f"{r['text_p50']:>6.2f} / {r['text_p95']:<6.2f} {r['clip_p50']:>6.1f} / {r['clip_p95']:<6.1f} "
            f"{r['done_p50']:>7.1f} / {r['done_p95']:<7.1f} {r['frames_sent']:>10} / {r['frames_analysed']:<8} "
            f"{r['queue_notes']:>11} {r['cpu_cores']:>10.2f} {r['peak_rss_mb']:>8.0f}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1, 5, 10, 20], help="numbers of concurrent students")
    ap.add_argument("--seconds", type=float, default=60.0, help="how long each load level runs")
    ap.add_argument("--message-every", type=float, default=8.0, help="mean seconds between a student's messages")
    ap.add_argument("--url", default="", help="a running app (default: launch one with a fresh data folder)")
    ap.add_argument("--port", type=int, default=7870)
    ap.add_argument("--app-arg", action="append", default=[], help="extra flag for the launched app (repeatable)")
    args = ap.parse_args()
    print(machine(), flush=True)
    proc = None
    url = args.url
    if not url:
        data_dir = tempfile.mkdtemp(prefix="bench-load-")
        t0 = time.monotonic()
        proc = launch_app(args.port, data_dir, args.app_arg)
        url = f"http://127.0.0.1:{args.port}/"
        print(f"app ready in {time.monotonic() - t0:.1f} s (pid {proc.pid}, data {data_dir})", flush=True)
    try:
        print(
            f"each student: webcam 2 fps, a message every ~{args.message_every:.0f} s, {args.seconds:.0f} s per level"
        )
        print(HEADER, flush=True)
        for n in args.n:
            result = run_load(url, n, args.seconds, args.message_every, proc.pid if proc else None)
            print(row(result), flush=True)
            if result["error_samples"]:
                print("      errors:", result["error_samples"], flush=True)
            time.sleep(5)  # let queued renders drain between levels
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
