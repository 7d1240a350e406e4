"""The avatar rendered in the browser (issue 15): headless Chromium, the page's own renderer.

    .venv/bin/python bench/bench_browser.py              # renderer frames/s + a reply's first frame and drift
    .venv/bin/python bench/bench_browser.py --app --n 4  # also the real app: first frame after the reply text

1. frames/s of ui/avatar_render.js at the shipped 256 px on 1 and on 2 wasm threads, batch 1, 4
   and 8 (median of --runs timed batches after one untimed; each thread count in a fresh page,
   since onnxruntime-web fixes its threads when it starts). Bar: >= 25 frames/s on ONE thread.
2. a real reply (bench/avatar_page.py: the shipped avatar's performance of REPLY, as browser-path
   feed files, played by the app's player): first frame after the feed arrives, and the audio/video
   drift (drawn frame time minus heard audio time, sampled every drawn frame; bar <= 40 ms).
3. --app: the real app in-process, messages typed into Chromium (bench_ui_latency.measure_browser):
   first frame of each reply after its text (bar <= 1 s) and which path drew it.
Prints medians, the machine and `uptime`. For speed numbers pause the background trainer first.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import avatar_page

from ui.avatar import as_html

REPLY = "Nice work! Two thirds is the same as four sixths, because you multiply the top and the bottom by two."
READY = ("() => !!window.__avatar && !!window.__avatar.render "
         "&& window.__avatar.render.reason !== 'the page is still starting'")
MEASURE = "async ([b, runs]) => (await window.__avatar.render.renderer.measure(b, runs)).median"


def _page(browser: Any, url: str, options: dict[str, Any]) -> Any:
    """The avatar page with `options`; it keeps its renderer whatever it measures (minFps 0: a page
    that falls back to the server path closes its renderer, and here the renderer is what is timed)."""
    page = browser.new_page()
    page.add_init_script(f"window.__avatarWebOptions = {json.dumps({'minFps': 0, **options})};")
    page.goto(url)
    page.wait_for_function(READY, timeout=180_000)
    return page


def frames_per_second(browser: Any, url: str, threads: int, batches: tuple[int, ...], runs: int) -> dict[int, float]:
    """Median frames/s per batch size with `threads` wasm threads."""
    page = _page(browser, url, {"threads": threads, "batches": [batches[0]]})
    try:
        return {b: page.evaluate(MEASURE, [b, runs]) for b in batches}
    finally:
        page.close()


def reply(browser: Any, url: str, chunks: list[avatar_page.Chunk], fps: float, size: int) -> dict[str, Any]:
    """Play the reply once (default options: the page's own choice of threads and batch)."""
    page = _page(browser, url, {})
    try:
        page.mouse.click(5, 5)  # a user gesture, so the page may play sound
        page.evaluate("h => { document.getElementById('feed').innerHTML = h; }",
                      as_html(avatar_page.feed_data("bench", chunks, fps, size)))
        page.wait_for_function("() => window.__avatar.stages.avatar.replies.some((r) => r.end_ms !== null)",
                               timeout=300_000)
        stat: dict[str, Any] = page.evaluate("() => window.__avatar.stages.avatar.replies[0]")
        stat["render"] = page.evaluate("() => ({threads: window.__avatar.render.threads, "
                                       "batch: window.__avatar.render.renderer.batch})")
        return stat
    finally:
        page.close()


def _machine() -> str:
    uptime = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    chromium = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True, check=False)
    return (f"machine: {platform.platform()}, {os.cpu_count()} CPUs, {chromium.stdout.strip()}\n"
            f"uptime: {uptime}")


def bench_renderer(args: argparse.Namespace) -> None:
    from playwright.sync_api import sync_playwright

    from gan.pipeline import DEFAULT_CHECKPOINT, TalkingHeadPipeline
    from ui.web_assets import prepare

    pipe = TalkingHeadPipeline.from_pretrained()
    web = prepare(pipe.model, DEFAULT_CHECKPOINT, Path(tempfile.gettempdir()) / "tutor-avatar-onnx")
    files = Path(tempfile.mkdtemp(prefix="bench-browser-"))
    chunks = avatar_page.write_reply(pipe, REPLY, files, "happy")
    served = avatar_page.serve(web, files, pipe.size, args.port)
    print(_machine())
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        for threads in (1, 2):
            fps = frames_per_second(browser, served.url, threads, (1, 4, 8), args.runs)
            line = ", ".join(f"batch {b}: {v:5.1f}" for b, v in fps.items())
            print(f"{pipe.size} px, {threads} wasm thread{'s' if threads > 1 else ''}: frames/s {line}"
                  + ("   (bar >= 25 on one thread)" if threads == 1 else ""))
        stats = [reply(browser, served.url, chunks, pipe.fps, pipe.size) for _ in range(args.replies)]
        browser.close()
    served.close()
    first = [s["first_frame_ms"] - s["fed_ms"] for s in stats]
    drift = [abs(d) for s in stats for d in s["drift_ms"]]
    frames = sum(c.n for c in chunks)
    print(f"reply of {len(chunks)} sentences, {frames} frames ({frames / pipe.fps:.1f} s), played {len(stats)}x "
          f"({stats[0]['render']['threads']} threads, batch {stats[0]['render']['batch']}):")
    print(f"  first frame after the feed: median {statistics.median(first):.0f} ms (max {max(first):.0f})")
    if drift:
        print(f"  |audio - video| drift: median {statistics.median(drift):.1f} ms, "
              f"95th pct {sorted(drift)[int(0.95 * (len(drift) - 1))]:.1f} ms over {len(drift)} drawn frames "
              f"(a frame lasts {1000 / pipe.fps:.0f} ms; bar <= 40)")
    else:
        print("  drift: not measured (no audio output in this browser)")
    print(f"  stalls: {sum(s['stalls'] for s in stats)}")


def bench_app(args: argparse.Namespace) -> None:
    import bench_ui_latency

    services = bench_ui_latency._launch([])
    rows = bench_ui_latency.measure_browser(f"http://127.0.0.1:{services.config.server.port}/", args.n)
    waits = [r["clip"] - r["text"] for r in rows]
    print(_machine())
    drift = [r["drift"] for r in rows if r["drift"] == r["drift"]]
    print(f"app: first frame after the reply text: median {statistics.median(waits):.2f} s "
          f"(max {max(waits):.2f}; bar <= 1 s); paths: {sorted({str(r.get('mode')) for r in rows})}; "
          f"waits {sum(r['stalls'] for r in rows)} ({sum(r['sentence_pauses'] for r in rows)} between sentences); "
          "|drift| per reply median "
          + (f"{statistics.median(drift):.1f} ms" if drift else "not measured"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="timed batches per batch size")
    parser.add_argument("--replies", type=int, default=3, help="times the reply is played")
    parser.add_argument("--port", type=int, default=7931, help="port of the avatar-only page")
    parser.add_argument("--app", action="store_true", help="also measure the real app (first frame after text)")
    parser.add_argument("--n", type=int, default=4, help="messages sent to the app with --app")
    args = parser.parse_args()
    bench_renderer(args)
    if args.app:
        bench_app(args)


if __name__ == "__main__":
    main()
