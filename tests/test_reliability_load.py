"""Load at small N in CI: two simulated students for ~20 s against the real app (bench/bench_load.py).

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
    result = run_load(app.url, n=2, seconds=20, every=6.0)
    print("\n" + HEADER + "\n" + row(result))
    assert result["errors"] == 0, result["error_samples"]
    assert result["messages"] >= 4 and result["replies"] == result["messages"]
    assert result["text_p50"] == result["text_p50"], "every reply's text arrived"  # not NaN
    assert result["clip_p50"] == result["clip_p50"], "reply clips were delivered"
    assert result["frames_analysed"] > 0 and result["frames_sent"] >= 60
