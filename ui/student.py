"""The student view: join a class / come back / practise, the chat, the avatar, the camera.

`build_tab` wires plain functions (ui/login.py: the way in; ui/handlers.py: the conversation) to
components; every conversation event fills the same outputs, in `ui.screen.Screen`'s order.
Events carry `api_name`s so `gradio_client` (tests, load benchmarks) can drive the view as a
browser does.
"""

from __future__ import annotations

import functools
from typing import Any

import gradio as gr

from ui import handlers, login, screen
from ui.avatar import avatar_mode_input, stage
from ui.playback import STAGE
from ui.ratelimit import bind_handler
from ui.services import SERVER, Services
from ui.views import LATEX_DELIMITERS, mastery_html, problem_markdown, status_html

# Concurrency per event (2 vCPU), both sized by ServerConfig.max_students (ui/app.py sizes
# Gradio's queue to match). A reply handler holds its slot while its reply arrives: on the server
# path it waits for renders, on the browser path each later sentence is made when the page will
# need it (ui/motion.py), so a slot lasts about as long as the reply plays. With a fixed 32 slots
# a class of 50 (a message every ~8 s) waited ~100 s for its TEXT replies (bench_load --n 50,
# browser path, one run at load 5-11); a waiting handler costs only a sleeping thread, so each
# student gets one. The
# webcam's stream event holds its slot for as long as the camera streams, so it too may run once
# per student; how many frames are analysed at once is the FrameGate's (ui/framegate.py).
# The webcam sends a frame every STREAM_EVERY_S seconds: 2 fps is plenty for mood, which
# changes over seconds (D'Mello & Graesser 2012), and keeps the CPU free for the avatar.
STREAM_EVERY_S = 0.5

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

# What the student is typing survives a reload: kept in this browser's localStorage while typed,
# forgotten once sent; `RESTORE_DRAFT_JS` puts it back on page load.
SAVE_DRAFT_JS = "(text) => { localStorage.setItem('tutor-draft', text); }"
CLEAR_DRAFT_JS = (
    "(state, text, mode) => { localStorage.removeItem('tutor-draft'); return [state, text, mode]; }"
)
RESTORE_DRAFT_JS = "() => localStorage.getItem('tutor-draft') || ''"

# Sound off / on (WCAG 2.2 1.4.2: speech that starts by itself can be stopped); the picture goes on.
MUTE_JS = """() => {
  const muted = window.__avatar ? window.__avatar.toggleMute() : false;
  const b = document.querySelector('#mute-btn');
  if (b) { b.textContent = muted ? 'Sound on' : 'Sound off'; b.setAttribute('aria-pressed', String(muted)); }
}"""

CONSENT = (
    "The tutor can look at your face to see how you feel. Pictures are checked straight away and "
    "never saved. Turn it off any time."
)


def build_tab(services: Services, demo: gr.Blocks, state: gr.State, token: gr.BrowserState) -> None:
    """The student view, inside the caller's `gr.Tab` of `demo`."""
    choices = services.topic_choices()
    with gr.Column(elem_id="login"):
        # Radio buttons, not a menu: three topics fit on one line, and Gradio's dropdown stayed
        # open over the page after keyboard focus passed through it (seen in the browser test).
        topic = gr.Radio(
            choices=choices, value=choices[0][1] if choices else None, label="What do you want to practise?",
            elem_id="topic",
        )
        with gr.Tabs(elem_id="login-tabs") as login_tabs:
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
            avatar = stage(STAGE, services.avatar.size, "Your tutor, an animated face that speaks the answers")
            mode = avatar_mode_input(SERVER)
            with gr.Row():
                replay_btn = gr.Button("Say it again", size="sm", interactive=False, elem_id="replay-btn")
                mute_btn = gr.Button("Sound off", size="sm", elem_id="mute-btn")
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

    outputs = [state, chat, box, problem, mastery, status, avatar, mood, replay_btn, start_note, answer_note]
    outputs += [token, name, topic, code, code_help, login_tabs]
    assert len(outputs) == len(screen.OUTPUTS)
    events: dict[str, Any] = {
        "concurrency_limit": services.config.server.max_students,
        # No Gradio overlay (it dims the outputs and dropped the status line's contrast below
        # WCAG AA): the status line's own spinner and words say what is happening.
        "show_progress": "hidden",
    }  # fmt: skip
    login_io = {"outputs": outputs, **events}  # the way in also fills the login fields
    talk = {"outputs": outputs[: len(screen.TALK_OUTPUTS)], **events}  # what Screen.talk() fills
    speak = {
        "fn": functools.partial(handlers.speak_opening, services), "inputs": [state, mode],
        "api_visibility": "private",  # the browser's follow-up of Start / Join / Continue
    }  # fmt: skip
    gr.on(
        [start.click, name.submit],
        functools.partial(login.start_session, services),
        inputs=[state, name, topic, mode],
        api_name="start",
        **login_io,
    ).then(api_name="speak_opening", **speak, **talk)
    gr.on(
        [join.click, join_name.submit],
        bind_handler(login.join_class, services),
        inputs=[state, class_code, join_name, topic, mode],
        api_name="join",
        **login_io,
    ).then(api_name="speak_after_join", **speak, **talk)
    gr.on(
        [back.click, resume_code.submit],
        bind_handler(login.come_back, services),
        inputs=[state, resume_code, topic, mode],
        api_name="come_back",
        **login_io,
    ).then(api_name="speak_after_come_back", **speak, **talk)
    gr.on(
        [box.submit, send.click],
        bind_handler(handlers.send_message, services),
        inputs=[state, box, mode],
        js=CLEAR_DRAFT_JS,
        api_name="send",
        trigger_mode="multiple",  # the student may answer while the tutor still speaks
        **talk,
    )
    for button, kind in ((hint, "hint"), (confused, "confused"), (nxt, "next")):
        button.click(
            bind_handler(handlers.quick_message, services, kind=kind),
            inputs=[state, mode],
            api_name=kind,
            trigger_mode="multiple",
            **talk,
        )
    mute_btn.click(None, js=MUTE_JS)  # in the browser only: the player's sound
    box.input(None, inputs=[box], js=SAVE_DRAFT_JS)  # in the browser only: no request per keystroke
    replay_btn.click(
        functools.partial(handlers.replay, services), inputs=[state, mode], api_name="replay", **talk
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
        concurrency_limit=services.config.server.max_students,
        show_progress="hidden",
    )
    # On page load: back to this browser's session (a reload, a reopened tab) and its draft.
    demo.load(
        functools.partial(login.restore_session, services), inputs=[state, token], outputs=outputs,
        api_name="restore", api_visibility="private", show_progress="hidden",
    )
    demo.load(None, outputs=[box], js=RESTORE_DRAFT_JS, api_visibility="private", show_progress="hidden")
