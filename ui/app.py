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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from tutor.errors import StoreError
from ui import handlers, teacher
from ui.config import AppConfig, load_config
from ui.ratelimit import bind_handler
from ui.services import Services, missing_components
from ui.views import LATEX_DELIMITERS, mastery_html, problem_markdown, status_html

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
.mood {padding: 8px 10px; border: 1px solid var(--border-color-primary); border-radius: 8px; font-size: 16px}
.mood-emoji {font-size: 22px; vertical-align: -3px}
.mood-source {color: var(--body-text-color-subdued); font-size: 13px}
.skill {display: flex; align-items: center; gap: 8px; font-size: 14px; margin: 3px 0}
.skill-name {width: 55%}
.not-started {color: var(--body-text-color-subdued); font-style: italic}
.skill-level {min-width: 84px; text-align: right}
.status {min-height: 22px; color: var(--body-text-color-subdued)}
.note {padding: 6px 10px; border-radius: 8px; background: #fff4ce; color: #3d2e00; font-size: 15px}
.spinner {display:inline-block;width:12px;height:12px;margin-right:6px;border:2px solid #bbb;
  border-top-color:#0072B2;border-radius:50%;animation:spin .8s linear infinite;vertical-align:-1px}
@keyframes spin {to {transform: rotate(360deg)}}
#problem {padding: 4px 12px; border-left: 4px solid #0072B2; background: var(--background-fill-secondary)}
#problem .katex, #chat .katex {font-size: 1.15em}
#webcam .button-wrap {display: none}  /* the camera button above starts and stops the stream */
#chat button[aria-label="Clear"] {display: none}  /* it would only blank this screen, not the session */
.transcript table {border-collapse: collapse; width: 100%; font-size: 13px}
.transcript td, .transcript th {border-bottom: 1px solid var(--border-color-primary); padding: 4px 6px;
  vertical-align: top; text-align: left}
.transcript tr.flagged {background: #fde2e1}
"""
# Soft's labels (blue-500 on blue-100) and primary buttons (white on blue-500) measure 3.0:1 and
# 3.7:1 in axe-core, under WCAG AA's 4.5:1 for text; blue-700 passes.
THEME = gr.themes.Soft(primary_hue="blue", secondary_hue="emerald").set(
    block_label_text_color="*primary_700",
    block_title_text_color="*primary_700",
    button_primary_background_fill="*primary_700",
    button_primary_background_fill_hover="*primary_800",
)

# Gradio's video player writes its caption <track> without a label or a language; the avatar
# speaks English (the Piper voice), so every caption track is labelled as such when it appears.
HEAD = """<script>
new MutationObserver(() => {
  document.querySelectorAll('track:not([srclang])').forEach((t) => {
    t.srclang = 'en'; t.label = 'English'; t.kind = 'captions';
  });
}).observe(document.documentElement, {subtree: true, childList: true});
</script>"""

# One click turns the camera on: after the server shows the webcam, press Gradio's own
# "access webcam" and "start streaming" buttons for the student (the click on our button is
# the consent; Gradio's webcam has no option to start streaming by itself).
START_WEBCAM_JS = """async () => {
  const until = async (find) => {
    for (let i = 0; i < 150; i++) { const el = find(); if (el) return el; await new Promise(r => setTimeout(r, 100)); }
    return null;
  };
  const root = await until(() => document.querySelector('#webcam'));
  if (!root) return;
  const access = await until(() => root.querySelector('[title="grant webcam access"] button, .capture-button'));
  if (access && !access.classList.contains('capture-button')) access.click();
  const record = await until(() => root.querySelector('.capture-button'));
  if (record && !root.querySelector('[title="stop recording"]')) record.click();
}"""

CONSENT = (
    "The tutor can look at your face to see how you feel. Pictures are checked straight away and "
    "never saved. Turn it off any time."
)


def _student_tab(
    services: Services, state: gr.State, token: gr.BrowserState
) -> tuple[Callable[..., tuple[Any, ...]], list[Any]]:
    """The student view; returns the page-load restore handler and the outputs it fills."""
    choices = services.topic_choices()
    with gr.Group(elem_id="login"):
        topic = gr.Dropdown(
            choices=choices, value=choices[0][1] if choices else None, label="What do you want to practise?",
            elem_id="topic",
        )
        with gr.Tabs(elem_id="login-tabs"):
            with gr.Tab("Join my class", id="join"), gr.Row(elem_classes=["bottom-row"]):
                class_code = gr.Textbox(
                    label="Class code (from your teacher)", placeholder="e.g. K7M-X3P-Q9R", max_lines=1,
                    scale=2, elem_id="class-code",
                )
                join_name = gr.Textbox(
                    label="Your made-up name", placeholder="e.g. blue fox (not your real name)", max_lines=1,
                    scale=3, elem_id="join-name",
                )
                join = gr.Button("Join", variant="primary", scale=1, elem_id="join-btn")
            with gr.Tab("I have a come-back code", id="back"), gr.Row(elem_classes=["bottom-row"]):
                resume_code = gr.Textbox(
                    label="Your come-back code (the six words you wrote down)",
                    placeholder="e.g. acorn-tiger-lemon-boat-cloud-seven", max_lines=1, scale=5,
                    elem_id="resume-code-box",
                )
                back = gr.Button("Continue", variant="primary", scale=1, elem_id="back-btn")
            with gr.Tab("Practise without a class", id="practise"), gr.Row(elem_classes=["bottom-row"]):
                name = gr.Textbox(
                    label="Your made-up name", placeholder="e.g. blue fox (not your real name)", max_lines=1,
                    scale=5, elem_id="name-box",
                )
                start = gr.Button("Start", variant="primary", scale=1, elem_id="start-btn")
    start_note = gr.HTML("", elem_id="start-note-box", padding=False)
    code = gr.Textbox(
        label="Your come-back code", visible=False, interactive=False, buttons=["copy"], elem_id="resume-code"
    )
    code_help = gr.Markdown(
        "**Write this code down or copy it now**: it is shown only once. Next time, choose "
        "*I have a come-back code* and type it to carry on where you left off. Keep it secret, like a password.",
        visible=False, elem_id="resume-code-help",
    )
    with gr.Row():
        with gr.Column(scale=3):
            problem = gr.Markdown(problem_markdown(None), latex_delimiters=LATEX_DELIMITERS, elem_id="problem")
            chat = gr.Chatbot(
                label="Chat with your tutor", height=360, latex_delimiters=LATEX_DELIMITERS, elem_id="chat",
                buttons=[],
            )
            with gr.Row(elem_classes=["bottom-row"]):
                box = gr.Textbox(
                    label="Your answer or question", placeholder="Type your answer or a question, then press Enter",
                    scale=5, max_lines=3, elem_id="answer-box",
                )
                send = gr.Button("Send", variant="primary", scale=1, elem_id="send-btn")
            answer_note = gr.HTML("", elem_id="answer-note-box", padding=False)
            with gr.Row():
                hint = gr.Button("Hint", size="sm", elem_id="hint-btn")
                confused = gr.Button("I'm confused", size="sm", elem_id="confused-btn")
                nxt = gr.Button("Next problem", size="sm", elem_id="next-btn")
        with gr.Column(scale=2):
            video = gr.Video(
                label="Your tutor", autoplay=True, interactive=False, height=280, buttons=[], elem_id="avatar"
            )
            with gr.Row():
                replay_btn = gr.Button("Say it again", size="sm", interactive=False, elem_id="replay-btn")
            status = gr.HTML(status_html("", busy=False), padding=False)
            camera_btn = gr.Button("Turn my camera on", size="sm", elem_id="camera-btn")
            gr.Markdown(CONSENT, elem_id="camera-consent")
            webcam = gr.Image(
                sources=["webcam"],
                streaming=True,
                visible=False,
                label="Your camera",
                height=200,
                webcam_options=gr.WebcamOptions(mirror=True, constraints={"video": {"width": 320, "height": 240}}),
                elem_id="webcam",
            )
            mood = gr.HTML("", elem_id="mood-box", padding=False)
            gr.Markdown("**Your progress**")
            mastery = gr.HTML(mastery_html({}, services.mastery_threshold), padding=False)

    outputs = [state, chat, box, problem, mastery, status, video, mood, replay_btn, start_note, answer_note]
    outputs += [token, name, topic, code, code_help]
    assert len(outputs) == len(handlers.OUTPUTS)
    talk: dict[str, Any] = {
        "outputs": outputs, "concurrency_limit": CHAT_CONCURRENCY, "show_progress": "minimal",
        "show_progress_on": [status],  # a timer beside the status line; the avatar keeps playing
    }  # fmt: skip
    speak = {
        "fn": functools.partial(handlers.speak_opening, services), "inputs": [state],
        "api_visibility": "private",  # the browser's follow-up of Start / Join / Continue
    }  # fmt: skip
    gr.on(
        [start.click, name.submit],
        functools.partial(handlers.start_session, services),
        inputs=[state, name, topic],
        api_name="start",
        **talk,
    ).then(api_name="speak_opening", **speak, **talk)
    gr.on(
        [join.click, join_name.submit],
        bind_handler(handlers.join_class, services),
        inputs=[state, class_code, join_name, topic],
        api_name="join",
        **talk,
    ).then(api_name="speak_after_join", **speak, **talk)
    gr.on(
        [back.click, resume_code.submit],
        bind_handler(handlers.come_back, services),
        inputs=[state, resume_code, topic],
        api_name="come_back",
        **talk,
    ).then(api_name="speak_after_come_back", **speak, **talk)
    gr.on(
        [box.submit, send.click],
        bind_handler(handlers.send_message, services),
        inputs=[state, box],
        api_name="send",
        trigger_mode="multiple",  # the student may answer while the tutor still speaks
        **talk,
    )
    for button, kind in ((hint, "hint"), (confused, "confused"), (nxt, "next")):
        button.click(
            bind_handler(handlers.quick_message, services, kind=kind),
            inputs=[state],
            api_name=kind,
            trigger_mode="multiple",
            **talk,
        )
    replay_btn.click(
        functools.partial(handlers.replay, services), inputs=[state], api_name="replay", **talk
    )
    camera_btn.click(
        handlers.toggle_camera, inputs=[state], outputs=[state, webcam, mood, camera_btn], api_name="camera"
    ).then(None, js=START_WEBCAM_JS)
    webcam.stream(
        bind_handler(handlers.observe_frame, services),
        inputs=[state, webcam],
        outputs=[mood],
        api_name="frame",
        stream_every=STREAM_EVERY_S,
        concurrency_limit=FRAME_CONCURRENCY,
        show_progress="hidden",
    )
    return functools.partial(handlers.restore_session, services), outputs


def build_app(services: Services, config: AppConfig) -> gr.Blocks:
    """The whole app (student tab + teacher tab) over already-loaded services."""
    with gr.Blocks(title="Emotion-aware maths tutor", delete_cache=DELETE_CACHE) as demo:
        state = gr.State(handlers.new_user_state, delete_callback=handlers.end_session)
        # The browser's resume token (encrypted by ui/resume.py; BrowserState's own secret is only
        # obfuscation, but it must stay the same across restarts for the browser to read it back).
        token = gr.BrowserState("", storage_key="tutor-resume", secret=services.tokens.browser_secret)
        gr.Markdown(
            "# Your maths tutor\nChat with the tutor about maths. If you like, turn on your camera so the tutor "
            "can see how you feel. Use a made-up name, not your real one.",
            elem_id="header",
        )
        with gr.Tabs():
            with gr.Tab("Student", id="student"):
                restore, outputs = _student_tab(services, state, token)
            with gr.Tab("Teacher", id="teacher"):
                teacher.build_tab(services, config.server, concurrency=TEACHER_CONCURRENCY)
        demo.load(restore, inputs=[state, token], outputs=outputs, api_name="restore", api_visibility="private")
    return demo


def launch(demo: gr.Blocks, config: AppConfig, **kwargs: Any) -> Any:
    """Queue and launch with the app's theme; extra kwargs go to `Blocks.launch`."""
    demo.queue(default_concurrency_limit=2, max_size=256)
    options: dict[str, Any] = {
        "server_name": config.server.host,
        "server_port": config.server.port,
        "theme": THEME,
        "css": CSS,
        "head": HEAD,
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
