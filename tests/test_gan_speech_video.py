"""The avatar's speech (piper TTS with phoneme timings) and video I/O, with the real components on small inputs."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import numpy as np
import pytest

from gan.audio.speech import SILENCE, Speech, Synthesizer, merge_alignment, split_sentences
from gan.video import VideoError, probe_mp4, read_mp4, write_mp4

SIZE = 160


@pytest.fixture(scope="module")
def synth() -> Synthesizer:
    return Synthesizer.load()


# ----------------------------------------------------------------------------- speech
def test_speech_alignment_covers_the_audio(synth: Synthesizer) -> None:
    sp = synth.synthesize("Nice work, that is right.")
    assert isinstance(sp, Speech) and sp.audio.dtype == np.float32 and sp.audio.ndim == 1
    assert np.abs(sp.audio).max() <= 1.0 and sp.sample_rate == 22050
    ph = sp.phonemes
    assert ph[0][1] == 0.0 and abs(ph[-1][2] - sp.duration) < 1e-9
    assert all(abs(a[2] - b[1]) < 1e-9 for a, b in itertools.pairwise(ph))  # contiguous
    names = [p[0] for p in ph]
    assert "n" in names and "w" in names and SILENCE in names
    assert not any(n in ("ˈ", "ˌ", "ː", " ") for n in names)


def test_speech_rejects_empty_text_and_splits_sentences(synth: Synthesizer) -> None:
    for bad in ("", "   \n"):
        with pytest.raises(ValueError):
            synth.synthesize(bad)
    with pytest.raises(ValueError):
        synth.synthesize(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Synthesizer.load(backend="festival")
    parts = list(synth.synthesize_sentences("Hello there. How are you?"))
    assert [p.text for p in parts] == ["Hello there.", "How are you?"]
    assert split_sentences("One! Two? Three.") == ["One!", "Two?", "Three."]


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng (the fallback backend) is not installed")
def test_espeak_fallback_backend() -> None:
    synth = Synthesizer.load(backend="espeak-ng")
    sp = synth.synthesize("Papa is here. Nice work!")
    assert synth.backend == "espeak-ng" and sp.audio.size > 0 and sp.duration > 0.5
    ph = sp.phonemes
    assert ph[0][1] == 0.0 and abs(ph[-1][2] - sp.duration) < 1e-9
    assert all(abs(a[2] - b[1]) < 1e-9 and a[2] > a[1] for a, b in itertools.pairwise(ph))
    assert "p" in [p[0] for p in ph]


def test_merge_alignment_folds_modifiers() -> None:
    ph = merge_alignment([("^", 100), ("ˈ", 50), ("a", 100), ("ː", 30), (" ", 20), (",", 10), ("$", 40)], 1000)
    assert [p[0] for p in ph] == [SILENCE, "a", SILENCE]
    assert ph[1][1:] == pytest.approx((0.1, 0.28)) and ph[-1][2] == pytest.approx(0.35)


# ----------------------------------------------------------------------------- video
def test_mp4_round_trip_is_browser_friendly(tmp_path: Path) -> None:
    # a smooth moving pattern (a face-sized blob drifting over a gradient), like a head on a backdrop
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) / SIZE
    frames = np.stack([
        np.stack([80 + 120 * np.exp(-((xx - 0.3 - 0.03 * t) ** 2 + (yy - 0.5) ** 2) / 0.02), 60 + 100 * yy,
                  90 + 80 * xx], axis=-1)
        for t in range(12)
    ]).clip(0, 255).astype(np.uint8)
    sr = 22050
    audio = (0.3 * np.sin(2 * np.pi * 220 * np.arange(int(0.48 * sr)) / sr)).astype(np.float32)
    path = tmp_path / "clip.mp4"
    write_mp4(path, frames, 25.0, audio, sr)
    info = probe_mp4(path)
    assert info["video_codec"] == "h264" and info["pix_fmt"] == "yuv420p" and info["audio_codec"] == "aac"
    assert (info["width"], info["height"]) == (SIZE, SIZE)
    back, fps, audio_back, sr_back = read_mp4(path)
    assert back.shape == frames.shape and fps == pytest.approx(25.0)
    mse = np.mean((back.astype(np.float64) - frames) ** 2)
    assert 10 * np.log10(255**2 / mse) > 30  # PSNR of the H.264 round trip
    assert sr_back == sr and audio_back is not None
    assert abs(len(audio_back) - len(audio)) < 0.05 * sr
    with path.open("rb") as fh:  # +faststart: the moov atom comes before the media data
        head = fh.read(4096)
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))


def test_video_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_mp4(tmp_path / "x.mp4", np.zeros((4, 8, 8), np.uint8), 25.0)
    with pytest.raises(ValueError):
        write_mp4(tmp_path / "x.mp4", np.zeros((4, 8, 8, 3), np.uint8), 25.0, audio=np.zeros(10, np.float32))
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00not a video" * 100)
    with pytest.raises(VideoError):
        read_mp4(bad)
    # odd sizes are padded to even (yuv420p), silent clips have no audio stream
    write_mp4(tmp_path / "odd.mp4", np.full((3, 33, 35, 3), 128, np.uint8), 10.0)
    frames, _, audio, sr = read_mp4(tmp_path / "odd.mp4")
    assert frames.shape == (3, 34, 36, 3) and audio is None and sr is None
