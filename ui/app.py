"""The Gradio app: `build_app(services, config)` wires the handlers; `main()` loads, warms, launches.

Layout follows the gradio demos: plain functions (ui/handlers.py, ui/teacher/), then the
`gr.Blocks` wiring (the student view in ui/student.py, the teacher view in ui/teacher/), then
`launch()`. Per-user data lives in `gr.State(UserState)`; the
models live in one `Services` object shared read-only by all users. Every event has an
`api_name` so `gradio_client` (tests, load benchmarks) can drive the app like a browser does.
"""

from __future__ import annotations

import functools
import gc
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.routing import Route

from tutor.errors import StoreError
from ui import avatar, camera, login, screen, student, teacher, web_assets
from ui.config import AppConfig, load_config
from ui.services import Services, missing_components

log = logging.getLogger("ui.app")

# Teacher queries are rare (the student view's limits are in ui/student.py).
TEACHER_CONCURRENCY = 2
# Gradio's copies of served clips are deleted every 5 min once older than 15 min.
DELETE_CACHE = (300, 900)

CSS = """
.bottom-row {align-items: flex-end}
.bottom-row > button {max-height: 46px; margin-bottom: 4px}
.mood, .mastery, .status {font-size: 14px; line-height: 1.5}
.mood {padding: 8px 10px; border: 1px solid var(--border-color-primary); border-radius: 8px; font-size: 16px}
.mood-emoji {font-size: 22px; vertical-align: -3px}
.mood-source {color: #4b5563; font-size: 13px}
.skill {display: flex; align-items: center; gap: 8px; font-size: 14px; margin: 3px 0}
.skill-name {width: 55%}
.not-started {color: #4b5563; font-style: italic}
.skill-level {min-width: 84px; text-align: right}
.status {min-height: 22px; color: #4b5563}
.note {padding: 6px 10px; border-radius: 8px; background: #fff4ce; color: #3d2e00; font-size: 15px}
.spinner {display:inline-block;width:12px;height:12px;margin-right:6px;border:2px solid #bbb;
  border-top-color:#0072B2;border-radius:50%;animation:spin .8s linear infinite;vertical-align:-1px}
@keyframes spin {to {transform: rotate(360deg)}}
#problem {padding: 4px 12px; border-left: 4px solid #0072B2; background: var(--background-fill-secondary)}
#problem .katex, #chat .katex {font-size: 1.15em}
.camera-preview {margin: 0; max-width: 320px}
.camera-preview video {display: block; width: 100%; border-radius: 8px; transform: scaleX(-1)}  /* a mirror */
.camera-preview figcaption, .camera-note {font-size: 13px; color: #4b5563; margin: 2px 0 0}
#chat button[aria-label="Clear"] {display: none}  /* it would only blank this screen, not the session */
/* axe-core: Gradio's subdued grey and blue-500 on light backgrounds measure < 4.5:1 */
footer .show-api, footer a {color: var(--body-text-color) !important}
button[role="tab"][aria-selected="true"] {color: #1d4ed8 !important}
"""
# Soft's labels (blue-500 on blue-100), primary buttons and selected radios (white on blue-500) and
# subdued text such as the footer link (gray-400 on white) measure 3.0:1, 3.7:1 and 2.5:1 in
# axe-core, under WCAG AA's 4.5:1 for text; blue-700, blue-600 and gray-600 pass.
THEME = gr.themes.Soft(primary_hue="blue", secondary_hue="emerald").set(
    body_text_color_subdued="*neutral_600",
    checkbox_label_background_fill_selected="*primary_600",
    block_label_text_color="*primary_700",
    block_title_text_color="*primary_700",
    button_primary_background_fill="*primary_700",
    button_primary_background_fill_hover="*primary_800",
)

# Gradio's chat messages carry an aria-label on a plain div (axe-core: aria-prohibited-attr,
# serious; screen readers ignore it): each message becomes an "article" so its label is read.
HEAD = """<script>
new MutationObserver(() => {
  document.querySelectorAll('div[aria-label][data-testid="bot"], div[aria-label][data-testid="user"]')
    .forEach((m) => { if (!m.hasAttribute('role')) m.setAttribute('role', 'article'); });
}).observe(document.documentElement, {subtree: true, childList: true});
</script>"""

def build_app(services: Services, config: AppConfig) -> gr.Blocks:
    """The whole app (student tab + teacher tab) over already-loaded services."""
    # The avatar player fetches the server path's frame sheets and WAVs from the clip store
    # (unguessable names); the browser path's files go through Services.routes().
    gr.set_static_paths([str(p) for p in services.clips.served_folders()])
    with gr.Blocks(title="Emotion-aware maths tutor", delete_cache=DELETE_CACHE) as demo:
        state = gr.State(screen.new_user_state, delete_callback=functools.partial(login.end_session, services))
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
                student.build_tab(services, demo, state, token)
            with gr.Tab("Teacher", id="teacher") as teacher_tab:
                teacher.build_tab(services, tab=teacher_tab, concurrency=TEACHER_CONCURRENCY)
    return demo


def launch(demo: gr.Blocks, config: AppConfig, web: web_assets.WebAssets | None = None,
           routes: Sequence[Route] = (), **kwargs: Any) -> Any:
    """Queue and launch with the app's theme; extra kwargs go to `Blocks.launch`. With `web`
    (Services.web) the app serves the page's avatar renderer; without it the page uses the
    server path and says so. `routes` (Services.routes()): plain routes beside Gradio's, the
    browser path's reply streams and files and the webcam frames' (ui/reply_stream.py, ui/feed_files.py,
    ui/camera.py); without them only the server path works and the camera cannot send frames."""
    demo.queue(default_concurrency_limit=2, max_size=256)
    options: dict[str, Any] = {
        # Gradio's queue runs at most max_threads events at once (and as many handler threads): a
        # reply per student at a time, plus the teacher view (ui/config.py). Webcam frames no longer
        # take a slot (ui/camera.py); the value stays as it was measured with them (bench_load).
        "max_threads": 2 * config.server.max_students + TEACHER_CONCURRENCY,
        "server_name": config.server.host,
        "server_port": config.server.port,
        "theme": THEME,
        "css": CSS + avatar.CSS + teacher.CSS,
        "head": HEAD + avatar.player_head() + web_assets.head(web) + camera.camera_head(),
        # COOP/COEP on every response (2 wasm threads in the page), the renderer's files, the app's plain routes.
        "app_kwargs": web_assets.app_kwargs(web, routes),
        "show_error": True,
        "footer_links": ["api"],
        # Gradio 6 records every call's inputs and outputs in the browser's localStorage by default
        # ("run history"): the teacher's password at login and students' chat on shared school
        # computers. Off; False also deletes runs an earlier version saved.
        "run_history": False,
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
        launch(demo, config, services.web, services.routes(), prevent_thread_lock=True)
        services.timings["launch"] = time.perf_counter() - t_launch
        if config.server.freeze_heap:
            freeze_heap()
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


def freeze_heap() -> None:
    """Move every object alive after start-up (models, modules, the UI: ~550 k) out of the garbage
    collector's reach, for the life of the process (they live that long anyway).

    Why: a full collection walks them all with the GIL held, stopping every thread: 420 ms at load ~5
    (0 ms after freezing; /tmp measurement on the loaded services). At N=50 the app's many small
    allocations (sessions, SQLAlchemy units of work, Gradio events) trigger one every few seconds:
    py-spy saw 12 % of the app's GIL samples in collections started inside SQLAlchemy's
    `Session.begin`, each a pause of every reply, frame and page fetch at once.
    """
    gc.collect()
    gc.freeze()
    log.info("%d start-up objects frozen out of the garbage collector", gc.get_freeze_count())


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
