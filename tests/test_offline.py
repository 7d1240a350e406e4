"""Every shipped model loads and runs with the network blocked inside the process.

The child process replaces socket connect/DNS with a function that raises, and drops
HF_HUB_OFFLINE, so a loader that tried to reach a hub would fail loudly rather than be quietly
kept offline by the flag.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

_GUARD = textwrap.dedent(
    """
    import socket

    class NetworkBlocked(RuntimeError):
        pass

    def _refuse(*args, **kwargs):
        raise NetworkBlocked(f"network access attempted: {args[:2]!r}")

    socket.socket.connect = _refuse
    socket.socket.connect_ex = _refuse
    socket.create_connection = _refuse
    socket.getaddrinfo = _refuse

    # The guard itself must bite, or this test could not fail.
    try:
        socket.create_connection(("127.0.0.1", 9))
    except NetworkBlocked:
        pass
    else:
        raise SystemExit("guard did not block the network")
    """
)

_LOAD_ALL = textwrap.dedent(
    """
    import sys, tempfile
    import numpy as np
    from skimage.data import astronaut

    from affect import FaceAffect, TextAffect
    from affect.expression import ExpressionClassifier
    from gan import TalkingHeadPipeline
    from gan.audio.speech import Synthesizer
    from tutor import Tutor

    text = TextAffect.load()
    assert text.predict("I'm lost, where did the x go?").source == "text"
    face = FaceAffect.load()
    assert face.predict(np.ascontiguousarray(astronaut())) is not None
    probs = ExpressionClassifier.load().predict(np.ascontiguousarray(astronaut()[30:230, 150:330]))
    assert abs(sum(probs.values()) - 1) < 1e-4
    speech = Synthesizer.load().synthesize("Hello there.")
    assert speech.audio.size > 0
    pipe = TalkingHeadPipeline.from_pretrained()
    clip = pipe.react(emotion="happy", seconds=0.4)
    assert clip.frames.ndim == 4 and clip.frames.shape[0] > 0
    with tempfile.TemporaryDirectory() as tmp:
        tutor = Tutor.create(db_url=f"sqlite:///{tmp}/t.db", text_affect=text, face_affect=face)
        session = tutor.start_session(student="offline-check", topic=tutor.topics()[0])
        reply = session.send("hi")
        assert reply.text
    print("ALL-MODELS-LOADED")
    """
)


@pytest.mark.slow
def test_every_shipped_model_loads_with_network_blocked() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    result = subprocess.run(
        [sys.executable, "-c", _GUARD + _LOAD_ALL],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert "ALL-MODELS-LOADED" in result.stdout
