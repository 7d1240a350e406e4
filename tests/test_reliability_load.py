"""Load at small N in CI: two simulated students for ~16 s against the real app (bench/bench_load.py).

The full sweep (N = 1, 5, 10, 20) is `python bench/bench_load.py`; its output is committed in
bench/results/. Here the same code runs briefly and must lose nothing: zero errors, every
message answered with text and an avatar clip, webcam frames analysed while chatting.
"""

from __future__ import annotations

import pytest
from reliability_http import app_with_limits

pytestmark = pytest.mark.slow


def test_two_students_chatting_with_camera_on_lose_nothing() -> None:
    from bench_load import HEADER, row, run_load

    app = app_with_limits()  # the real app with the default per-client rate limits
    result = run_load(app.url, n=2, seconds=16, every=5.0, path="server")
    print("\n" + HEADER + "\n" + row(result))
    assert result["errors"] == 0, result["error_samples"]
    assert result["messages"] >= 4 and result["replies"] == result["messages"] + 2  # + the openings
    assert result["degraded"] == 0, result["degraded_why"]
    assert result["text_p50"] == result["text_p50"], "every reply's text arrived"  # not NaN
    assert result["first_p50"] == result["first_p50"], "reply clips were delivered"
    assert result["frames_analysed"] > 0 and result["frames_sent"] >= 50


def test_long_render_queue_sheds_load_with_shorter_clips() -> None:
    """Past SHED_AFTER waiting replies a clip speaks only its first sentence; past SKIP_AFTER the
    reply gets the pre-rendered reaction clip at once (the render queue stays bounded)."""
    from ui.clips import first_sentence

    assert first_sentence("Nice work! Now try 3/4 + 1/8. Take your time.") == "Nice work!"
    assert first_sentence("No full stop here") == "No full stop here"
    clips = app_with_limits().services.clips
    jobs = [clips.submit("Good. Let's go on with the next one.", "happy", 0.5) for _ in range(clips.SKIP_AFTER + 3)]
    assert not jobs[0].shortened and jobs[clips.SHED_AFTER + 1].shortened
    pre = jobs[-1].parts.get(timeout=1)  # past SKIP_AFTER: the pre-rendered reaction clip, at once
    assert pre is not None and not isinstance(pre, BaseException) and pre.sheet == clips.reaction("happy").sheet
    assert jobs[-1].parts.get(timeout=1) is None
    jobs = jobs[: clips.SKIP_AFTER]
    for job in jobs:  # every job still delivers its clip (or the end marker)
        parts = []
        while (part := job.parts.get(timeout=300)) is not None:
            assert not isinstance(part, BaseException), part
            parts.append(part)
        assert parts
    assert jobs[-1].rendered_s < jobs[0].rendered_s  # the shed (first-sentence) clip is shorter
