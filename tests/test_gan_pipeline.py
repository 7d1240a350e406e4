"""The public pipeline with the SHIPPED default avatar (v2, 256x256): clips, streaming, mp4 output, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from affect.types import AVATAR_EMOTIONS
from gan import AvatarClip, TalkingHeadPipeline
from gan.checkpoint import generator_version
from gan.pipeline import DEFAULT_CHECKPOINT
from gan.rig.expressions import EXPRESSIONS
from gan.video import probe_mp4

pytestmark = pytest.mark.slow
SIZE = 256  # issue 14: the shipped avatar renders at 256x256


@pytest.fixture(scope="module")
def pipe() -> TalkingHeadPipeline:
    assert (DEFAULT_CHECKPOINT / "model.safetensors").is_file(), "the default avatar must be shipped"
    pipe = TalkingHeadPipeline.from_pretrained()
    assert generator_version(DEFAULT_CHECKPOINT) == 2 and pipe.size == SIZE  # the app's avatar is v2
    return pipe


def _consistent(clip: AvatarClip) -> None:
    t, h, w, c = clip.frames.shape
    assert clip.frames.dtype == np.uint8 and (h, w, c) == (SIZE, SIZE, 3) and t >= 1
    assert clip.fps == 25.0
    assert clip.audio.dtype == np.float32 and clip.audio.ndim == 1
    assert len(clip.audio) == round(t * clip.sample_rate / clip.fps) or len(clip.audio) == 0
    assert clip.frames.std() > 5  # a face, not a blank frame


def test_speak(pipe: TalkingHeadPipeline) -> None:
    clip = pipe.speak("Nice work, three quarters is right!", emotion="happy", intensity=0.8)
    _consistent(clip)
    assert 1.0 < clip.duration < 5.0 and clip.text.startswith("Nice work")
    assert np.abs(clip.audio).max() > 0.05  # it says something


def test_react_and_every_emotion(pipe: TalkingHeadPipeline) -> None:
    frames = {}
    for emotion in (*AVATAR_EMOTIONS, *EXPRESSIONS):
        clip = pipe.react(emotion=emotion, seconds=0.2)
        _consistent(clip)
        assert len(clip.frames) == 5
        frames[emotion] = clip.frames[0].astype(np.float32)
    assert np.abs(frames["happy"] - frames["sad"]).mean() > 1.0  # emotion changes the face


def test_from_audio_is_refused_with_a_clear_error(pipe: TalkingHeadPipeline) -> None:
    """v2 has no audio-to-rig model yet: any voice is refused in words, not with a crash."""
    sr = 16000
    t = np.arange(int(0.8 * sr)) / sr
    audio = (0.3 * np.sin(2 * np.pi * 180 * t)).astype(np.float32)
    with pytest.raises(ValueError, match="audio-to-rig"):
        pipe.from_audio(audio, sample_rate=sr, emotion="neutral")


def test_stream_chunks_cover_the_speech(pipe: TalkingHeadPipeline) -> None:
    chunks = list(pipe.stream("Hello there. Two plus two is four.", emotion="encouraging"))
    assert len(chunks) >= 2
    for ch in chunks:
        _consistent(ch)
        assert len(ch.frames) <= pipe.config.stream_chunk_frames
    assert chunks[0].text == "Hello there."


def test_save_mp4_h264_yuv420p(pipe: TalkingHeadPipeline, tmp_path: Path) -> None:
    clip = pipe.speak("Two.", emotion="neutral")
    path = clip.save(tmp_path / "x.mp4")
    info = probe_mp4(path)
    assert info["video_codec"] == "h264" and info["pix_fmt"] == "yuv420p" and info["audio_codec"] == "aac"
    assert (info["width"], info["height"]) == (SIZE, SIZE)


def test_bad_input(pipe: TalkingHeadPipeline) -> None:
    with pytest.raises(ValueError, match="emotion"):
        pipe.speak("Hi.", emotion="furious")
    with pytest.raises(ValueError, match="empty"):
        pipe.speak("   ")
    with pytest.raises(ValueError, match="empty"):
        list(pipe.stream(""))
    with pytest.raises(ValueError, match="intensity"):
        pipe.speak("Hi.", intensity=1.5)
    with pytest.raises(ValueError, match="seconds"):
        pipe.react(seconds=0)
    with pytest.raises(ValueError, match="dtype"):
        pipe.from_audio(np.zeros(1600, np.int16), sample_rate=16000)
    with pytest.raises(ValueError, match="mono"):
        pipe.from_audio(np.zeros((2, 1600), np.float32), sample_rate=16000)
    with pytest.raises(ValueError, match="sample_rate"):
        pipe.from_audio(np.zeros(1600, np.float32), sample_rate=0)
