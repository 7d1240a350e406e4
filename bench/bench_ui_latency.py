"""Time from sending a chat message to the reply text and to the avatar clip, over the app's API.

    .venv/bin/python bench/bench_ui_latency.py                 # launches the app in-process (shipped models)
    .venv/bin/python bench/bench_ui_latency.py --url http://127.0.0.1:7860/ --n 8
    .venv/bin/python bench/bench_ui_latency.py --n 5 -- --avatar.checkpoint_dir other/avatar   # config flags

For each message (one student, messages in turn, as a browser sends them): `text` = seconds
until the first streamed update (the tutor's reply text), `clip` = until the first reply clip
is sent (its first sentence(s)), `done` = until the whole reply clip has been sent. The
browser adds ~0.2-0.5 s to `clip` to fetch and start the mp4 (tests/test_ui_browser.py measures
that end to end). Prints medians with the machine it ran on.
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


def _launch(config_args: list[str]) -> str:
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
    launch(build_app(services, config), config, prevent_thread_lock=True, quiet=True)
    print(f"app ready in {time.perf_counter() - t0:.1f} s ({services.timings})")
    return f"http://127.0.0.1:{config.server.port}/"


def measure(url: str, n: int) -> list[dict[str, float]]:
    from gradio_client import Client

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
            video = out[5]  # chat, box, problem, mastery, status, video, ... (ui/screen.py Screen)
            if isinstance(video, dict) and video.get("loop") is False and "value" in video:
                if row["clip"] != row["clip"]:  # first reply clip (NaN check)
                    row["clip"] = now
                row["done"] = now
        rows.append(row)
        print(
            f"{i + 1:2d} {text!r:28} text {row['text']:6.2f} s   first clip {row['clip']:6.2f} s   "
            f"whole clip {row['done']:6.2f} s",
            flush=True,
        )
        time.sleep(2.0)  # a student reads the reply (also stays within the chat rate limit)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="", help="a running app; default: launch one in-process")
    parser.add_argument("--n", type=int, default=6, help="messages to send")
    parser.add_argument("config", nargs="*", help="config flags for the in-process app (after --)")
    args = parser.parse_args()
    url = args.url or _launch(args.config)
    rows = measure(url, args.n)
    import torch

    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    for key, label in (("text", "reply text"), ("clip", "first clip sent"), ("done", "whole clip sent")):
        values = [r[key] for r in rows if r[key] == r[key]]
        if values:
            print(
                f"{label:16}: median {statistics.median(values):6.2f} s  min {min(values):6.2f}  "
                f"max {max(values):6.2f}  (n={len(values)})"
            )


if __name__ == "__main__":
    main()
