"""The Gradio app: `build_app(services, config)` wires the handlers; `main()` loads, warms, launches.

Layout follows the gradio demos: plain functions (ui/handlers.py, ui/teacher.py), then the
`gr.Blocks` wiring here, then `launch()`. Per-user data lives in `gr.State(UserState)`; the
models live in one `Services` object shared read-only by all users. Every event has an
`api_name` so `gradio_client` (tests, load benchmarks) can drive the app like a browser does.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from tutor.errors import StoreError
from ui import handlers, teacher
from ui.config import AppConfig, load_config
from ui.ratelimit import bind_handler
from ui.services import Services, missing_components
from ui.views import LATEX_DELIMITERS, mastery_html, mood_html, problem_markdown, status_html

log = logging.getLogger("ui.app")

# Concurrency per event (2 vCPU): the reply handler mostly waits on the single clip-render
# thread, so many may run at once (a waiting handler costs a sleeping thread; with 8, the 9th
# student's TEXT reply queued behind others' clip waits: bench/bench_load.py); frames take
# ~5-10 ms each (FINDINGS.md) and go one at a time through the face analyser; teacher queries
# are rare. 32 + 1 + 2 stays under Gradio's 40 worker threads.
CHAT_CONCURRENCY = 32
FRAME_CONCURRENCY = 1
TEACHER_CONCURRENCY = 2
# The webcam sends a frame every STREAM_EVERY_S seconds: 2 fps is plenty for mood, which
# changes over seconds (D'Mello & Graesser 2012), and keeps the CPU free for the avatar.
STREAM_EVERY_S = 0.5
# Gradio's copies of served clips are deleted every 5 min once older than 15 min.
DELETE_CACHE = (300, 900)

CSS = """
.bottom-row {align-items: flex-end}
.bottom-row > button {max-height: 46px; margin-bottom: 4px}
.mood, .mastery, .status {font-size: 14px; line-height: 1.5}
.mood {padding: 8px 10px; border: 1px solid var(--border-color-primary); border-radius: 8px}
.mood-off {color: var(--body-text-color-subdued)}
.status {min-height: 22px; color: var(--body-text-color-subdued)}
.spinner {display:inline-block;width:12px;height:12px;margin-right:6px;border:2px solid #bbb;
  border-top-color:#0072B2;border-radius:50%;animation:spin .8s linear infinite;vertical-align:-1px}
@keyframes spin {to {transform: rotate(360deg)}}
#problem {padding: 4px 12px; border-left: 4px solid #0072B2; background: var(--background-fill-secondary)}
.transcript table {border-collapse: collapse; width: 100%; font-size: 13px}
.transcript td, .transcript th {border-bottom: 1px solid var(--border-color-primary); padding: 4px 6px;
  vertical-align: top; text-align: left}
.transcript tr.flagged {background: #fde2e1}
"""
THEME = gr.themes.Soft(primary_hue="blue", secondary_hue="emerald")


def _student_tab(services: Services, state: gr.State) -> None:
    with gr.Row(elem_classes=["bottom-row"]):
        name = gr.Textbox(
            label="Your pseudonym", placeholder="e.g. blue-fox (not your real name)", max_lines=1, scale=3
        )
        choices = services.topic_choices()
        topic = gr.Dropdown(choices=choices, value=choices[0][1] if choices else None, label="Topic", scale=3)
        start = gr.Button("Start", variant="primary", scale=1, elem_id="start-btn")
    with gr.Row():
        with gr.Column(scale=3):
            problem = gr.Markdown(problem_markdown(None), latex_delimiters=LATEX_DELIMITERS, elem_id="problem")
            chat = gr.Chatbot(
                label="Tutor chat", height=360, latex_delimiters=LATEX_DELIMITERS, elem_id="chat", buttons=[]
            )
            with gr.Row():
                box = gr.Textbox(
                    show_label=False, placeholder="Type your answer or a question…", scale=5, max_lines=3,
                    elem_id="answer-box",
                )
                send = gr.Button("Send", variant="primary", scale=1, elem_id="send-btn")
            with gr.Row():
                hint = gr.Button("Hint", size="sm")
                confused = gr.Button("I'm confused", size="sm")
                nxt = gr.Button("Next", size="sm")
        with gr.Column(scale=2):
            video = gr.Video(
                label="Your tutor", autoplay=True, interactive=False, height=280, buttons=[], elem_id="avatar"
            )
            status = gr.HTML(status_html("", busy=False))
            consent = gr.Checkbox(
                value=False,
                label="Use my camera so the tutor can see how I feel",
                info="Frames are analysed in memory on the server and never stored. You can turn it off any time.",
                elem_id="camera-consent",
            )
            webcam = gr.Image(
                sources=["webcam"],
                streaming=True,
                visible=False,
                label="Camera",
                height=200,
                webcam_options=gr.WebcamOptions(mirror=True, constraints={"video": {"width": 320, "height": 240}}),
                elem_id="webcam",
            )
            mood = gr.HTML(mood_html(None, camera_on=False))
            gr.Markdown("**Mastery**")
            mastery = gr.HTML(mastery_html({}, services.mastery_threshold))

    reply_outputs = [state, chat, box, problem, mastery, status, video]
    start.click(
        functools.partial(handlers.start_session, services),
        inputs=[state, name, topic],
        outputs=[state, chat, problem, mastery, status, video],
        api_name="start",
        concurrency_limit=CHAT_CONCURRENCY,
    )
    gr.on(
        [box.submit, send.click],
        bind_handler(handlers.send_message, services),
        inputs=[state, box],
        outputs=reply_outputs,
        api_name="send",
        concurrency_limit=CHAT_CONCURRENCY,
        show_progress="minimal",
        show_progress_on=[status],  # a timer beside the status line; the avatar keeps playing
        trigger_mode="multiple",  # the student may answer while the tutor still speaks
    )
    for button, kind in ((hint, "hint"), (confused, "confused"), (nxt, "next")):
        button.click(
            bind_handler(handlers.quick_message, services, kind=kind),
            inputs=[state],
            outputs=reply_outputs,
            api_name=kind,
            concurrency_limit=CHAT_CONCURRENCY,
            show_progress="minimal",
            show_progress_on=[status],
            trigger_mode="multiple",
        )
    consent.change(
        handlers.set_camera, inputs=[state, consent], outputs=[state, webcam, mood], api_name="camera"
    )
    webcam.stream(
        bind_handler(handlers.observe_frame, services),
        inputs=[state, webcam],
        outputs=[mood],
        api_name="frame",
        stream_every=STREAM_EVERY_S,
        concurrency_limit=FRAME_CONCURRENCY,
        show_progress="hidden",
    )


def build_app(services: Services, config: AppConfig) -> gr.Blocks:
    """The whole app (student tab + teacher tab) over already-loaded services."""
    with gr.Blocks(title="Emotion-aware maths tutor", delete_cache=DELETE_CACHE) as demo:
        state = gr.State(handlers.new_user_state, delete_callback=handlers.end_session)
        gr.Markdown(
            "## Emotion-aware maths tutor\nChat with the tutor; with your consent it also reads how you feel "
            "from your camera and adapts. Use a made-up name.",
            elem_id="header",
        )
        with gr.Tabs():
            with gr.Tab("Student", id="student"):
                _student_tab(services, state)
            with gr.Tab("Teacher", id="teacher") as teacher_tab:
                teacher.build_tab(services, tab=teacher_tab, concurrency=TEACHER_CONCURRENCY)
    return demo


def launch(demo: gr.Blocks, config: AppConfig, **kwargs: Any) -> Any:
    """Queue and launch with the app's theme; extra kwargs go to `Blocks.launch`."""
    demo.queue(default_concurrency_limit=2, max_size=256)
    options: dict[str, Any] = {
        "server_name": config.server.host,
        "server_port": config.server.port,
        "theme": THEME,
        "css": CSS + teacher.CSS,
        "show_error": True,
        "footer_links": ["api"],
        # The session log never leaves through the file server, even if a handler asked.
        "blocked_paths": [config.tutor.resolved_data_dir()],
    }
    options.update(kwargs)
    return demo.launch(**options)


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m ui.app [--server.port N ...]`: load, warm, report readiness, serve."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    t0 = time.perf_counter()
    imports_s = _seconds_since_process_start(t0)
    config = load_config(sys.argv[1:] if argv is None else argv)
    t_check = time.perf_counter()
    missing = missing_components(config)  # imports the core packages (torch, mediapipe, ...)
    if missing:
        print("The app cannot start yet; these core components are not built:", file=sys.stderr)
        for line in missing:
            print(f"  - {line}", file=sys.stderr)
        raise SystemExit(2)
    check_s = time.perf_counter() - t_check
    try:
        services = Services.load(config)
    except (FileNotFoundError, ValueError, StoreError) as err:  # ModelFileError (a ValueError) names the file
        log.debug("start-up failure", exc_info=True)
        print(f"The app cannot start: {err}", file=sys.stderr)
        raise SystemExit(2) from err
    try:
        if config.server.warm_up:
            services.warm_up()
        t_build = time.perf_counter()
        demo = build_app(services, config)
        services.timings["build_ui"] = time.perf_counter() - t_build
        t_launch = time.perf_counter()
        launch(demo, config, prevent_thread_lock=True)
        services.timings["launch"] = time.perf_counter() - t_launch
        steps = ", ".join(f"{k} {v:.1f}s" for k, v in services.timings.items())
        log.info(
            "ready in %.1f s since process start, %.1f CPU-s (imports %.1f s, core imports %.1f s, then %s) "
            "on http://%s:%d",
            _seconds_since_process_start(t0), time.process_time(), imports_s, check_s, steps,
            config.server.host, config.server.port,
        )
        demo.block_thread()
    finally:
        services.close()


def _seconds_since_process_start(fallback_t0: float) -> float:
    """Wall time since the interpreter started (Linux /proc), else since main() began."""
    try:
        stat = Path("/proc/self/stat").read_text()
        ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22: start time in clock ticks after boot
        boot = next(float(x.split()[1]) for x in Path("/proc/stat").read_text().splitlines() if x.startswith("btime"))
        return time.time() - (boot + ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, StopIteration):
        return time.perf_counter() - fallback_t0


if __name__ == "__main__":
    main()
