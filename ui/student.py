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
# student gets one. Webcam frames do not use Gradio's queue: the page posts them to a route of their
# own (ui/camera.py), 2 a second, which is plenty for mood, which changes over seconds (D'Mello &
# Graesser 2012).

# One click turns the camera on: the click is the consent, and its answer carries the token the page
# posts frames with (ui/camera.js starts the camera with it; "" stops it).
CAMERA_JS = "(token) => { if (window.__camera) window.__camera.set(token); }"
# The mood panel lets the camera's frames write into it (ui/camera.js): the same html the server
# renders for it (ui/views.py mood_html), set as the component's value, so Gradio's later updates
# of the panel (a reply's mood) replace it as usual. Only a change re-renders it: the mood stays the
# same for many frames in a row, and a re-render every 0.5 s made the browser test's avatar stall
# (3 of 3 runs failed its "at most one wait inside a sentence" check; 2 of 2 passed without).
MOOD_PANEL_JS = "window.__moodPanel = (html) => { if (props.value !== html) props.value = html; };"

# What the student is typing survives a reload: kept in this browser's localStorage while typed,
# forgotten once sent; `DRAFT_JS` (on page load) puts it back and from then on keeps what is typed.
# It listens to the textarea's own `input` events, which only the student's typing fires: the
# box's Gradio `.input` event also fired just after a send with the text just sent (26 ms after
# CLEAR_DRAFT_JS, in Chromium), so a reload put the sent message back in the box.
CLEAR_DRAFT_JS = (
    "(state, text, mode) => { localStorage.removeItem('tutor-draft'); return [state, text, mode]; }"
)
DRAFT_JS = """() => {
  if (!window.__draftKept) {
    window.__draftKept = true;
    document.addEventListener("input", (e) => {
      const box = e.target.closest && e.target.closest("#answer-box textarea");
      if (box) localStorage.setItem("tutor-draft", box.value);
    }, true);
  }
  return localStorage.getItem("tutor-draft") || "";
}"""

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
    with gr.Column(elem_id="login") as login_panel:
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
            # The title above the chat, not Gradio's label: that floats over the messages' box, and the
            # top message scrolled under it (tutor8's screenshots). The log keeps its own aria-label.
            gr.Markdown("**Chat with your tutor**", elem_id="chat-title")
            chat = gr.Chatbot(
                label="Chat with your tutor", show_label=False, height=360, latex_delimiters=LATEX_DELIMITERS,
                elem_id="chat", buttons=[],
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
            # The student's own picture goes here while the camera is on (ui/camera.js), and the token
            # the page sends frames with arrives in the hidden box below.
            gr.HTML("", elem_id="camera-slot", padding=False, js_on_load=None)
            camera_token = gr.Textbox("", visible=False, elem_id="camera-token")
            mood = gr.HTML("", elem_id="mood-box", padding=False, js_on_load=MOOD_PANEL_JS)
            gr.Markdown("**Your progress**")
            mastery = gr.HTML(mastery_html({}, services.mastery_threshold), padding=False)
            # shown once signed in (ui/screen.py conversation), in place of the way in
            sign_out = gr.Button("Sign out", size="sm", visible=False, elem_id="sign-out-btn")

    outputs = [state, chat, box, problem, mastery, status, avatar, mood, replay_btn, start_note, answer_note]
    outputs += [token, name, topic, code, code_help, login_tabs, login_panel, sign_out]
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
    sign_out.click(
        functools.partial(login.sign_out, services), inputs=[state], api_name="sign_out", **login_io
    ).then(  # the camera goes off with the session (its token stops working; the page stops it)
        functools.partial(handlers.set_camera, services, on=False), inputs=[state],
        outputs=[state, camera_token, mood, camera_btn], api_visibility="private",
    ).then(None, inputs=[camera_token], js=CAMERA_JS)
    mute_btn.click(None, js=MUTE_JS)  # in the browser only: the player's sound
    replay_btn.click(
        functools.partial(handlers.replay, services), inputs=[state, mode], api_name="replay", **talk
    )
    camera_btn.click(
        functools.partial(handlers.toggle_camera, services), inputs=[state],
        outputs=[state, camera_token, mood, camera_btn], api_name="camera",
    ).then(None, inputs=[camera_token], js=CAMERA_JS)
    # On page load: back to this browser's session (a reload, a reopened tab) and its draft.
    demo.load(
        functools.partial(login.restore_session, services), inputs=[state, token], outputs=outputs,
        api_name="restore", api_visibility="private", show_progress="hidden",
    )
    # In the browser only (no request per keystroke): the draft back, then kept as it is typed.
    demo.load(None, outputs=[box], js=DRAFT_JS, api_visibility="private", show_progress="hidden")
