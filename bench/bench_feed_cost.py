"""What getting a reply's parts to the page costs the app's server process, per reply (issue 15).

    python bench/bench_feed_cost.py --replies 200 --parts 4

A small Gradio app (the student view's 11 conversation outputs, same component types) runs in a
child process; this process plays pages against it. Per reply the page gets the text, then
`--parts` spoken parts, and fetches a motion file + a WAV per part, in one of these ways:

- gradio:  the app before session 6 (the server path still works this way): one streamed
           conversation event, each part another update (3 values + 8 gr.skip()), files through
           Gradio's file route (gradio_api/file=);
- then3:   the conversation event returns the text; a follow-up event with only the 3 speaking
           outputs (status, avatar, replay) streams the parts (as a page's .then() chain);
- sse:     the app's browser path now: the conversation event's one update names a reply stream
           (ui/reply_stream.py), which sends each part's feed; files through ui/feed_files.py's
           plain route.

Reported: CPU ms of the server process per reply (utime + stime from /proc, so the page clients'
own CPU does not count) for the messages alone and with the file fetches. On the shared box run it
under the HEAVY rule or read only the ratios (all ways run in the same child, interleaved).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser_protocol import Tab, fn_indices

ROOT = Path(__file__).resolve().parents[1]
NAMES = re.compile(r"(gradio_api/file=[^&\"]+|avatar-feed/part/[0-9a-f-]+\.\w+)")  # the files a feed names
STREAM = re.compile(r"avatar-feed/reply/[A-Za-z0-9_-]{32}")

WAYS = ("text", "gradio", "then3", "sse")
PART_GAP_S = 0.02  # between parts (the real ones come as MotionWriter finishes them)


def feed(reply: str, parts: list[tuple[str, str]], done: bool) -> dict[str, Any]:
    """A browser-path feed as ui/avatar.py writes it (same keys and sizes)."""
    return {"stage": "avatar", "mode": "browser", "reply": reply, "done": done, "speed": 1.0, "fps": 25.0,
            "sentences": len(parts), "shortened": False,
            "chunks": [{"motion": m, "audio": a, "n": 70, "caption": "That is a good start, let us look at it.",
                        "sentence_n": 70} for m, a in parts],
            "idle": {"motion": "avatar-feed/idle/idle-happy-3.00s.rig?v=1", "n": 75}}  # fmt: skip


def serve(port: int, folder: Path, parts: int) -> None:
    """The child: a Blocks with the three ways, on 127.0.0.1:port."""
    import gradio as gr

    from ui.avatar import as_html, feed_data
    from ui.feed_files import routes as file_routes
    from ui.reply_stream import ReplyStreams, stream_url

    streams = ReplyStreams()
    files = sorted(folder.glob("*.rig"))
    pairs = [(str(f), str(f.with_suffix(".wav"))) for f in files]
    routed = [("avatar-feed/part/" + Path(m).name, "avatar-feed/part/" + Path(a).name) for m, a in pairs]

    def text_values(avatar: str) -> list[Any]:
        chat = [{"role": "user", "content": "3/4"}, {"role": "assistant", "content": "Nearly! " * 20}]
        return [None, chat, "", "**Problem** 1/2 + 1/4", "<p>mastery</p>" * 5, "<p>getting ready</p>", avatar,
                "<p>mood</p>", gr.skip(), "", ""]  # fmt: skip

    def gradio_way(_state: Any, _text: str):  # type: ignore[no-untyped-def]
        reply = uuid.uuid4().hex[:12]
        yield tuple(text_values(as_html(feed_data("avatar", None))))
        for i in range(parts):
            time.sleep(PART_GAP_S)
            data = feed(reply, [(f"gradio_api/file={m}", f"gradio_api/file={a}") for m, a in pairs[: i + 1]],
                        i == parts - 1)  # fmt: skip
            first = i == 0
            status, replay = ("<p></p>", gr.Button(interactive=True)) if first else (gr.skip(), gr.skip())
            yield (gr.skip(),) * 5 + (status, as_html(data), gr.skip(), replay, gr.skip(), gr.skip())

    def then_text(_state: Any, _text: str) -> tuple[Any, ...]:
        return tuple(text_values(as_html(feed_data("avatar", None))))

    def then_speak(_state: Any):  # type: ignore[no-untyped-def]
        reply = uuid.uuid4().hex[:12]
        for i in range(parts):
            time.sleep(PART_GAP_S)
            data = feed(reply, [(f"gradio_api/file={m}", f"gradio_api/file={a}") for m, a in pairs[: i + 1]],
                        i == parts - 1)  # fmt: skip
            first = i == 0
            replay = gr.Button(interactive=True) if first else gr.skip()
            yield ("<p></p>" if first else gr.skip(), as_html(data), replay)

    def sse_way(_state: Any, _text: str):  # type: ignore[no-untyped-def]
        reply, token = uuid.uuid4().hex[:12], streams.open()
        start = {**feed(reply, [], False), "stream": stream_url(token)}
        yield tuple(text_values(as_html(start)))
        for i in range(parts):
            time.sleep(PART_GAP_S)
            streams.publish(token, feed(reply, routed[: i + 1], i == parts - 1))
            if i == 0:
                yield (gr.skip(),) * 5 + ("<p></p>", gr.skip(), gr.skip(), gr.Button(interactive=True),
                                          gr.skip(), gr.skip())  # fmt: skip
        streams.close(token)

    gr.set_static_paths([str(folder)])
    with gr.Blocks() as demo:
        state = gr.State(None)
        chat = gr.Chatbot()
        box = gr.Textbox()
        problem = gr.Markdown()
        mastery, status, avatar, mood = gr.HTML(), gr.HTML(), gr.HTML(), gr.HTML()
        replay = gr.Button(interactive=False)
        start_note, answer_note = gr.HTML(), gr.HTML()
        outs = [state, chat, box, problem, mastery, status, avatar, mood, replay, start_note, answer_note]
        box.submit(gradio_way, [state, box], outs, api_name="gradio", concurrency_limit=64)
        box.submit(then_text, [state, box], outs, api_name="then_text", concurrency_limit=64).then(
            then_speak, [state], [status, avatar, replay], api_name="then_speak", concurrency_limit=64)
        box.submit(sse_way, [state, box], outs, api_name="sse", concurrency_limit=64)
    demo.queue(max_size=1024)
    demo.launch(server_port=port, server_name="127.0.0.1", quiet=True, max_threads=200,
                app_kwargs={"routes": [*file_routes(folder, dict), streams.route()]})  # fmt: skip


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:13]) / os.sysconf("SC_CLK_TCK")


def page(url: str, tab: Tab, way: str, http: httpx.Client, fetch: bool) -> None:
    """One reply as the page gets it (and, with `fetch`, every file its feeds name)."""
    names: set[str] = set()

    def take(message: Any) -> None:
        names.update(NAMES.findall(json.dumps(message)))

    if way == "text":
        ev = tab.call("then_text", [None, "3/4"])  # the yardstick: the text alone, no parts
    elif way == "then3":
        assert tab.call("then_text", [None, "3/4"]).success
        ev = tab.call("then_speak", [None])  # what the page's .then() sends next
    else:
        ev = tab.call(way, [None, "3/4"])
    for _, m in ev.messages:
        take(m)
    if way == "sse":
        with http.stream("GET", url + STREAM.findall(json.dumps(ev.messages))[0]) as r:
            for line in r.iter_lines():
                if line.startswith("data: {"):
                    take(json.loads(line[6:]))
    if fetch:
        for name in names:
            assert http.get(url + name).status_code == 200, name


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replies", type=int, default=200, help="replies per way and round")
    ap.add_argument("--parts", type=int, default=4, help="spoken parts per reply")
    ap.add_argument("--pages", type=int, default=10, help="pages at once")
    ap.add_argument("--port", type=int, default=7895)
    ap.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.port, args.serve, args.parts)
        return
    folder = Path(tempfile.mkdtemp(prefix="feed-cost-"))
    import soundfile as sf

    for i in range(args.parts):  # a sentence: 70 rows of 140 floats, 2.8 s of 22.05 kHz speech
        stem = folder / f"{uuid.uuid4().hex}-{i}"
        np.zeros((70, 140), "<f4").tofile(stem.with_suffix(".rig"))
        sf.write(stem.with_suffix(".wav"), np.zeros(61740, np.float32), 22050, subtype="PCM_16")
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(folder), "--port", str(args.port),
                             "--parts", str(args.parts)], env={**os.environ, "PYTHONPATH": str(ROOT),
                             "GRADIO_ANALYTICS_ENABLED": "False"})  # fmt: skip
    url = f"http://127.0.0.1:{args.port}/"
    try:
        for _ in range(120):
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(1)
        fns = fn_indices(url)
        print(f"{args.replies} replies of {args.parts} parts per way and round, {args.pages} pages at once; "
              f"load average {os.getloadavg()[0]:.1f} at start")  # fmt: skip
        results: dict[tuple[str, bool], list[float]] = {}
        for _round in range(2):
            for fetch in (False, True):
                for way in WAYS:
                    tabs = [Tab(url, fns) for _ in range(args.pages)]
                    http = httpx.Client(timeout=60, limits=httpx.Limits(max_connections=args.pages * 2))
                    c0 = cpu_s(proc.pid)
                    with ThreadPoolExecutor(args.pages) as pool:
                        jobs = [pool.submit(page, url, tabs[i % args.pages], way, http, fetch)
                                for i in range(args.replies)]  # fmt: skip
                        for job in jobs:
                            job.result()
                    results.setdefault((way, fetch), []).append(1000 * (cpu_s(proc.pid) - c0) / args.replies)
                    for tab in tabs:
                        tab.close()
                    http.close()
        print("way     server CPU ms per reply: messages only | with the files (2 per part), per round")
        for way in WAYS:
            msgs, files = results[(way, False)], results[(way, True)]
            print(f"{way:<7} {' '.join(f'{v:6.1f}' for v in msgs)}   | {' '.join(f'{v:6.1f}' for v in files)}")
    finally:
        proc.terminate()
        proc.wait(30)


if __name__ == "__main__":
    main()
