"""The GAN's data side with the real components on small inputs: actor, speech, visemes, idle, video."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from gan.actor.face2d import Actor
from gan.audio.speech import SILENCE, Speech, Synthesizer, merge_alignment, split_sentences
from gan.data.face_align import FaceMesher
from gan.rig.idle import idle_motion
from gan.rig.params import MOTION_BOUNDS, MOTION_DIM, MOTION_FIELDS, RigParams
from gan.rig.visemes import viseme_track
from gan.video import VideoError, probe_mp4, read_mp4, write_mp4

SIZE = 160


@pytest.fixture(scope="module")
def actor() -> Actor:
    return Actor(SIZE, seed=0)


@pytest.fixture(scope="module")
def mesher() -> Iterator[FaceMesher]:
    m = FaceMesher(video=False)
    yield m
    m.close()


@pytest.fixture(scope="module")
def synth() -> Synthesizer:
    return Synthesizer.load()


def _mouth_opening(lm: np.ndarray) -> float:
    """Inner-lip distance (landmarks 13-14) over face height (10-152), as the lip-sync eval measures."""
    return float(np.linalg.norm(lm[13, :2] - lm[14, :2]) / np.linalg.norm(lm[10, :2] - lm[152, :2]))


# ----------------------------------------------------------------------------- actor
def test_actor_shapes_and_determinism(actor: Actor) -> None:
    p = RigParams(jaw_open=0.4, emotion={"happy": 1.0}, yaw=5.0, blink=0.3)
    a, b = actor.render(p), actor.render(p)
    assert a.shape == (SIZE, SIZE, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    batch = actor.render_batch([RigParams(), p, RigParams(emotion={"sad": 1.0})], workers=2)
    assert batch.shape == (3, SIZE, SIZE, 3)
    assert np.array_equal(batch[1], a)
    assert np.abs(batch[0].astype(int) - batch[2].astype(int)).max() > 40  # emotions change the face
    assert actor.render_batch([]).shape == (0, SIZE, SIZE, 3)
    # Same (size, seed) -> same pixels in a fresh instance.
    assert np.array_equal(Actor(SIZE, seed=0).render(p), a)


def test_actor_rejects_bad_input(actor: Actor) -> None:
    with pytest.raises(ValueError):
        Actor(size=16)
    with pytest.raises(TypeError):
        actor.render({"jaw_open": 0.5})  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        RigParams(jaw_open=1.5)
    with pytest.raises(ValueError):
        RigParams(emotion={"bored": 1.0})


EXTREMES = [
    RigParams(),
    RigParams(jaw_open=1.0, lip_width=1.0),
    RigParams(lip_round=1.0, lip_width=-1.0, jaw_open=0.3),
    RigParams(blink=1.0, emotion={"sad": 1.0}),
    RigParams(yaw=25.0, gaze_x=1.0, emotion={"happy": 1.0}),
    RigParams(yaw=-25.0, pitch=-20.0, roll=15.0, emotion={"angry": 1.0}),
    RigParams(pitch=20.0, roll=-15.0, gaze_y=1.0, emotion={"surprised": 1.0}, jaw_open=0.8),
    RigParams(emotion={"happy": 0.5, "surprised": 0.5}, intensity=0.7, jaw_open=0.5, gaze_x=-1.0, gaze_y=-1.0),
]


def test_mediapipe_finds_the_actor_across_the_control_ranges(actor: Actor, mesher: FaceMesher) -> None:
    found = [mesher(actor.render(p)) is not None for p in EXTREMES]
    assert all(found), [p for p, f in zip(EXTREMES, found) if not f]


def test_jaw_open_opens_the_mouth_monotonically(actor: Actor, mesher: FaceMesher) -> None:
    openings = []
    for jaw in (0.0, 0.25, 0.5, 0.75, 1.0):
        lm = mesher(actor.render(RigParams(jaw_open=jaw)))
        assert lm is not None
        openings.append(_mouth_opening(lm))
    assert openings[0] < 0.01  # closed lips read as closed
    assert all(b > a for a, b in itertools.pairwise(openings)), openings
    assert openings[-1] > 0.1


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


# ----------------------------------------------------------------------------- visemes
def test_viseme_track_closes_on_bilabials_and_in_silence() -> None:
    ph = [
        ("_", 0.0, 0.4),
        ("m", 0.4, 0.46),
        ("ɑ", 0.46, 0.7),
        ("p", 0.7, 0.75),
        ("ɑ", 0.75, 1.0),
        ("u", 1.0, 1.2),
        ("_", 1.2, 2.0),
    ]
    fps = 25.0
    v = viseme_track(ph, fps, 50)
    assert v.shape == (50, 3) and v.dtype == np.float32
    frame = lambda t: int(t * fps)  # noqa: E731
    assert v[frame(0.43), 0] == 0.0 and v[frame(0.725), 0] == 0.0  # lips meet on m and p
    assert v[frame(0.58), 0] > 0.4 and v[frame(0.88), 0] > 0.4  # open vowels open the jaw
    k = int(np.argmax(v[:, 2]))
    assert 1.0 <= (k + 0.5) / fps <= 1.2 and v[k, 2] > 0.5  # "oo" rounds the lips, most of all
    assert np.abs(v[:5]).max() < 0.05 and np.abs(v[-10:]).max() < 0.05  # silence: mouth at rest
    assert np.all(v[:, 0] >= 0) and np.all(v[:, 0] <= 1)
    with pytest.raises(ValueError):
        viseme_track(ph, 0.0, 10)


def test_viseme_track_on_real_speech(synth: Synthesizer) -> None:
    sp = synth.synthesize("Papa bob.")
    n = int(np.ceil(sp.duration * 25))
    v = viseme_track(sp.phonemes, 25, n)
    for name, s, e in sp.phonemes:
        if name in ("p", "b"):
            assert v[int(0.5 * (s + e) * 25), 0] == 0.0
    assert v[:, 0].max() > 0.4


# ----------------------------------------------------------------------------- idle motion
def test_idle_motion_blinks_sways_and_stays_in_bounds() -> None:
    fps, n = 25.0, 500  # 20 s
    m = idle_motion(n, fps, seed=3)
    assert m.shape == (n, MOTION_DIM) and m.dtype == np.float32
    assert np.array_equal(m, idle_motion(n, fps, seed=3))
    assert not np.array_equal(m, idle_motion(n, fps, seed=4))
    assert np.array_equal(idle_motion(120, fps, seed=3), m[:120])  # prefix-consistent (streaming)
    assert np.all(m[:, :3] == 0.0)  # viseme columns untouched
    for i, name in enumerate(MOTION_FIELDS):
        lo, hi = MOTION_BOUNDS[name]
        assert lo <= m[:, i].min() and m[:, i].max() <= hi
    blink = m[:, MOTION_FIELDS.index("blink")]
    closed = blink > 0.99
    starts = np.flatnonzero(closed & ~np.r_[False, closed[:-1]])
    assert 3 <= len(starts) <= 8, len(starts)  # one every ~3-5 s
    assert (blink > 0.05).sum() <= len(starts) * 4  # each lasts ~100-150 ms (<= 4 frames at 25 fps)
    yaw = m[:, MOTION_FIELDS.index("yaw")]
    assert 0.3 < yaw.std() < 4.0  # slight sway, not a still photo
    assert np.abs(np.diff(yaw)).max() < 1.0  # smooth
    gaze = m[:, MOTION_FIELDS.index("gaze_x")]
    assert len(np.unique(gaze)) >= 4  # several fixations


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


def test_rearticulate_swaps_the_mean_articulation_for_the_requested_one() -> None:
    from gan.rig.articulation import ARTICULATION, SPEECH_INTENSITY, emotional_visemes, rearticulate
    from gan.rig.params import RIG_EMOTIONS

    rng = np.random.default_rng(0)
    neutral = np.stack([rng.uniform(0, 0.8, 50), rng.uniform(-0.3, 0.3, 50), rng.uniform(0, 0.5, 50)], 1)
    neutral[:10, 0] = 0.0  # silence: lip width is left alone there
    sad = np.array([1.0 if e == "sad" else 0.0 for e in RIG_EMOTIONS], np.float32)
    mean = float(np.mean(SPEECH_INTENSITY))
    # What audio-to-motion learns to output for sad speech: the articulation of the mean intensity.
    learned = emotional_visemes(neutral, sad, mean)
    np.testing.assert_allclose(rearticulate(learned, sad, mean), learned, atol=1e-6)
    np.testing.assert_allclose(rearticulate(learned, sad, 1.0), emotional_visemes(neutral, sad, 1.0), atol=1e-5)
    full = rearticulate(learned, sad, 1.0)
    jaw_gain = ARTICULATION["sad"][0]
    expected_ratio = jaw_gain / (1 + mean * (jaw_gain - 1))
    assert full[10:, 0].mean() / learned[10:, 0].mean() == pytest.approx(expected_ratio, rel=1e-4)
    np.testing.assert_array_equal(full[:10, 1], learned[:10, 1])
    # Neutral speech has no emotional articulation at any intensity.
    calm = np.eye(len(RIG_EMOTIONS), dtype=np.float32)[RIG_EMOTIONS.index("neutral")]
    np.testing.assert_allclose(rearticulate(neutral, calm, 1.0), neutral, atol=1e-6)
