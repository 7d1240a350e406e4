"""Time from sending a chat message to the reply text and to the avatar speaking it.

    .venv/bin/python bench/bench_ui_latency.py                 # launches the app in-process (shipped models)
    .venv/bin/python bench/bench_ui_latency.py --browser       # the same, measured in Chromium (Playwright)
    .venv/bin/python bench/bench_ui_latency.py --url http://127.0.0.1:7860/ --n 8
    .venv/bin/python bench/bench_ui_latency.py --n 5 -- --avatar.checkpoint_dir other/avatar   # config flags

For each message (one student, messages in turn, as a browser sends them): `text` = seconds
until the tutor's reply text, `clip` = until the first chunk of the avatar's performance (API:
sent; --browser: its first frame drawn by the player, i.e. playable), `done` = until the whole
performance has been sent (API) or has played (--browser, with the player's waits for late
chunks: `stalls`). `clip - text` is the wait the issue bounds (<= 1 s). Prints medians with the
machine, its load and, for the in-process app, the avatar's render speed at that moment
(seconds of performance per second, ClipRenderer.speed: a same-process yardstick of the load).
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MESSAGES = (
    "is it 1/2?",
    "Can I have a hint?",
    "I'm confused.",
    "I think it's 3/4",
    "Next problem, please.",
    "why?",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _launch(config_args: list[str]) -> Any:
    """Load the real services and launch the real app on 127.0.0.1 in this process."""
    import tempfile

    from ui.app import build_app, launch
    from ui.config import load_config
    from ui.services import Services

    data = tempfile.mkdtemp(prefix="ui-latency-")
    config = load_config(["--tutor.data_dir", data, "--server.port", str(_free_port()), *config_args], env={})
    t0 = time.perf_counter()
    services = Services.load(config)
    services.warm_up()
    launch(build_app(services, config), config, services.web, services.routes(), prevent_thread_lock=True, quiet=True)
    print(f"app ready in {time.perf_counter() - t0:.1f} s ({services.timings})")
    return services


def _print(i: int, text: str, row: dict[str, float]) -> None:
    print(
        f"{i + 1:2d} {text!r:28} text {row['text']:6.2f} s   first chunk {row['clip']:6.2f} s "
        f"(+{row['clip'] - row['text']:.2f})   whole {row['done']:6.2f} s   stalls {row.get('stalls', 0):.0f}",
        flush=True,
    )


def measure(url: str, n: int) -> list[dict[str, float]]:
    from gradio_client import Client

    from ui.avatar import read_feed

    client = Client(url, verbose=False, download_files=False)
    client.predict("bench-latency", "fractions", api_name="/start")
    rows = []
    for i in range(n):
        text = MESSAGES[i % len(MESSAGES)]
        t0 = time.perf_counter()
        row = {"text": float("nan"), "clip": float("nan"), "done": float("nan")}
        for k, out in enumerate(client.submit(text, api_name="/send")):
            now = time.perf_counter() - t0
            if k == 0:
                row["text"] = now
            feed = read_feed(out[5])  # chat, box, problem, mastery, status, avatar, ... (ui/screen.py Screen)
            if feed and feed["chunks"]:
                if row["clip"] != row["clip"]:  # first chunk (NaN check)
                    row["clip"] = now
                row["done"] = now
        rows.append(row)
        _print(i, text, row)
        time.sleep(2.0)  # a student reads the reply (also stays within the chat rate limit)
    return rows


def measure_browser(url: str, n: int) -> list[dict[str, float]]:
    """The same messages typed into Chromium; times from the Enter key to the reply text in the
    chat and to the avatar player's first frame and last frame (window.__avatar)."""
    from playwright.sync_api import sync_playwright

    played = "() => window.__avatar.stages.avatar.replies"
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url)
        page.get_by_role("tab", name="Practise without a class").click()
        page.fill("#name-box input", "bench latency")
        page.keyboard.press("Enter")
        for i in range(n + 1):  # reply 0 is the spoken greeting
            page.wait_for_function(
                f"() => window.__avatar && ({played})().length > {i} && ({played})()[{i}].end_ms !== null "
                "&& window.__avatar.stages.avatar.state === 'idle'",
                timeout=300_000,
            )
            if i == n:
                break
            text = MESSAGES[i % len(MESSAGES)]
            rows_before = page.evaluate("() => document.querySelectorAll('#chat .message-row').length")
            page.fill("#answer-box textarea", text)
            t0 = page.evaluate("() => performance.now()")
            page.keyboard.press("Enter")
            page.wait_for_function(f"() => document.querySelectorAll('#chat .message-row').length >= {rows_before + 2}")
            t_text = page.evaluate("() => performance.now()")
            page.wait_for_function(f"() => ({played})().length > {i + 1} && ({played})()[{i + 1}].end_ms !== null",
                                   timeout=300_000)
            rec = page.evaluate(f"() => ({played})()[{i + 1}]")
            row = {"text": (t_text - t0) / 1000, "clip": (rec["first_frame_ms"] - t0) / 1000,
                   "done": (rec["end_ms"] - t0) / 1000, "stalls": rec["stalls"], "stall_s": rec["stall_s"],
                   "sentence_pauses": rec["sentence_pauses"],
                   "mode": rec.get("mode", "server"),
                   "drift": statistics.median([abs(d) for d in rec.get("drift_ms") or [float("nan")]])}
            rows.append(row)
            _print(i, text, row)
            page.wait_for_timeout(2000)
        browser.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="", help="a running app; default: launch one in-process")
    parser.add_argument("--n", type=int, default=6, help="messages to send")
    parser.add_argument("--browser", action="store_true", help="measure in Chromium: first frame drawn, not sent")
    parser.add_argument("config", nargs="*", help="config flags for the in-process app (after --)")
    args = parser.parse_args()
    services = None if args.url else _launch(args.config)
    url = args.url or f"http://127.0.0.1:{services.config.server.port}/"
    rows = (measure_browser if args.browser else measure)(url, args.n)
    import torch

    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}, "
        f"load average {os.getloadavg()[0]:.1f}"
        + (f", avatar render speed {services.clips.speed:.2f} s of performance per s" if services else "")
    )
    for row in rows:
        row["wait"] = row["clip"] - row["text"]
    first = "first frame drawn" if args.browser else "first chunk sent"
    for key, label in (("text", "reply text"), ("clip", first), ("wait", "  after the text"),
                       ("done", "whole reply")):
        values = [r[key] for r in rows if r[key] == r[key]]
        if values:
            print(
                f"{label:16}: median {statistics.median(values):6.2f} s  min {min(values):6.2f}  "
                f"max {max(values):6.2f}  (n={len(values)})"
            )


if __name__ == "__main__":
    main()
