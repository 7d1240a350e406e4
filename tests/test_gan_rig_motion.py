"""v2 rig motion on the KEPT channels: expressions table, lip-sync curves, idle, their composition."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from gan.rig.arkit import KEPT_INDEX
from gan.rig.expressions import EXPRESSIONS, ExpressionTable
from gan.rig.idle_arkit import IdleConfig, idle_track
from gan.rig.lipsync import LipSync, LipSyncConfig
from gan.rig.performance import PerformanceConfig, Performer

FPS = 25.0
# "mum, pool, five feet" spelled as a piper-style timeline (symbol, start s, end s)
PHONEMES = (
    ("_", 0.0, 0.3), ("m", 0.3, 0.36), ("ʌ", 0.36, 0.5), ("m", 0.5, 0.57), ("_", 0.57, 0.9),
    ("p", 0.9, 0.95), ("u", 0.95, 1.2), ("l", 1.2, 1.3), ("_", 1.3, 1.6),
    ("f", 1.6, 1.68), ("a", 1.68, 1.8), ("ɪ", 1.8, 1.86), ("v", 1.86, 1.92), ("f", 1.92, 2.0),
    ("i", 2.0, 2.2), ("t", 2.2, 2.26), ("_", 2.26, 2.8),
)
N = 80


def _frames_in(start: float, end: float) -> np.ndarray:
    centres = (np.arange(N) + 0.5) / FPS
    return np.flatnonzero((centres >= start) & (centres < end))


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return LipSync()(PHONEMES, FPS, N)


def _at(curves: np.ndarray, name: str, start: float, end: float) -> np.ndarray:
    frames = _frames_in(start, end)
    if frames.size == 0:  # a closure shorter than a frame: the frame nearest its centre
        frames = np.array([int(0.5 * (start + end) * FPS)])
    return curves[frames, KEPT_INDEX[name]]


def test_lips_seal_on_every_bilabial(speech: np.ndarray) -> None:
    for start, end in ((0.3, 0.36), (0.5, 0.57), (0.9, 0.95)):
        open_ = _at(speech, "jawOpen", start, end) - _at(speech, "mouthClose", start, end)
        assert open_.max() < 0.02, (start, open_)
        assert _at(speech, "mouthPress", start, end).min() > 0.4


def test_lower_lip_tucks_under_the_teeth_on_f_and_v(speech: np.ndarray) -> None:
    for start, end in ((1.6, 1.68), (1.92, 2.0)):
        assert _at(speech, "mouthRollLower", start, end).max() > 0.45
        assert _at(speech, "jawOpen", start, end).max() < 0.15


def test_vowels_open_round_and_spread_as_they_should(speech: np.ndarray) -> None:
    assert _at(speech, "jawOpen", 1.68, 1.8).max() > 0.4  # "a" opens the jaw
    assert _at(speech, "mouthPucker", 0.95, 1.2).max() > 0.6  # "u" rounds
    assert _at(speech, "mouthStretch", 2.0, 2.2).max() > 0.25  # "i" spreads
    assert _at(speech, "mouthStretch", 0.95, 1.2).max() < 0.05


def test_mouth_rests_in_pauses_and_after_speech(speech: np.ndarray) -> None:
    for start, end in ((0.65, 0.82), (2.45, 3.2)):
        assert _at(speech, "jawOpen", start, end).max() < 0.06
    assert np.all(speech >= 0.0) and np.all(speech <= 1.0)


def test_lipsync_accepts_piper_symbols_it_has_no_row_for_and_rejects_bad_timelines() -> None:
    curves = LipSync()((("_", 0, 0.1), ("d", 0.1, 0.15), ("ᵻ", 0.15, 0.3), ("ʲ", 0.3, 0.32), ("_", 0.32, 0.6)), FPS, 15)
    assert _at(curves, "jawOpen", 0.15, 0.3).max() > 0.2  # ᵻ spoken as ɪ, not routed to silence
    with pytest.raises(ValueError, match="before it starts"):
        LipSync()((("a", 0.5, 0.2),), FPS, 10)
    assert not LipSync()((), FPS, 10).any()


def test_expression_table_is_valid_and_concern_avoids_the_fear_action_units() -> None:
    table = ExpressionTable.load()
    assert table.names == EXPRESSIONS
    sad = table.face(table.blend("concerned"), 1.0)
    assert sad[KEPT_INDEX["browInnerUp"]] > 0.5 and sad[KEPT_INDEX["mouthFrown"]] > 0.5
    for fear in ("eyeWide", "browOuterUpLeft", "browOuterUpRight", "mouthStretch"):
        assert sad[KEPT_INDEX[fear]] == 0.0, fear
    thinking = table.face(table.blend("thinking"), 1.0)
    assert thinking[KEPT_INDEX["browDown"]] == 0.0  # the brow lowerer is what looked cross
    assert thinking[KEPT_INDEX["eyeLookUp"]] > 0.3
    assert table.articulation(table.blend("concerned"), 1.0)[1] < 0.5  # little lip stretch when sad
    np.testing.assert_allclose(table.face(table.blend("happy"), 0.0), 0.0)


def test_expression_table_rejects_bad_data_with_the_entry_named(tmp_path: Path) -> None:
    raw = json.loads(ExpressionTable.load.__defaults__[0].read_text())  # type: ignore[index]
    raw["prototypes"]["happy"]["face"]["smile"] = 0.5
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(raw))
    with pytest.raises(ValueError, match="'smile' is not a KEPT channel"):
        ExpressionTable.load(bad)
    table = ExpressionTable.load()
    with pytest.raises(ValueError, match="Unknown emotion"):
        table.blend("furious")
    with pytest.raises(ValueError, match="intensity"):
        table.face(table.blend("happy"), 1.5)


def test_idle_blinks_shut_fully_moves_gaze_and_is_a_prefix_of_longer_clips() -> None:
    kept, pose = idle_track(250, FPS, seed=3)
    blink = kept[:, KEPT_INDEX["eyeBlink"]]
    assert blink.max() == 1.0 and 1 <= int((blink == 1.0).sum()) <= 6  # 10 s at rest: ~2-4 blinks
    assert np.mean(blink > 0.5) < 0.06  # eyes open most of the time
    assert np.abs(pose).max() < 6.0 and pose.std(axis=0).min() > 0.1  # lively but calm
    gaze = kept[:, [KEPT_INDEX[n] for n in ("eyeLookLeft", "eyeLookRight", "eyeLookUp", "eyeLookDown")]]
    assert gaze.max() > 0.05 and gaze.max() <= 0.4
    short_kept, short_pose = idle_track(100, FPS, seed=3)
    np.testing.assert_array_equal(short_kept, kept[:100])
    np.testing.assert_array_equal(short_pose, pose[:100])


def test_performance_keeps_emotion_while_the_mouth_still_closes_on_bilabials() -> None:
    performer = Performer()
    perf = performer.perform(N, "concerned", 1.0, seed=0, phonemes=PHONEMES)
    kept = perf.track.kept
    assert perf.emotion.shape == (N, len(EXPRESSIONS)) and perf.intensity.shape == (N,)
    assert perf.speaking[_frames_in(1.7, 1.8)].all() and not perf.speaking[_frames_in(2.6, 3.2)].any()
    assert kept[:, KEPT_INDEX["browInnerUp"]].min() > 0.8  # the brows stay sad while speaking
    closure = _frames_in(0.5, 0.57)
    assert (kept[closure, KEPT_INDEX["jawOpen"]] - kept[closure, KEPT_INDEX["mouthClose"]]).max() < 0.02
    assert kept[:, KEPT_INDEX["mouthStretch"]].max() < 0.15  # sad speech barely stretches the lips
    happy = performer.perform(N, "happy", 1.0, seed=0, phonemes=PHONEMES).track.kept
    assert happy[_frames_in(1.68, 1.8), KEPT_INDEX["mouthSmile"]].min() > 0.5  # speaking through a smile
    silent = performer.perform(N, "surprised", 0.5, seed=0)
    assert not silent.speaking.any()
    np.testing.assert_allclose(silent.track.kept[:, KEPT_INDEX["jawOpen"]], 0.5 * 0.7, atol=1e-6)  # half intensity
    surprised = performer.perform(N, "surprised", 1.0, seed=0, phonemes=PHONEMES).track.kept
    # While speaking only speech opens the mouth: the open 'a' opens it, the pause between words
    # inside the utterance (0.57-0.9 s) lets the lips meet, the eyes and brows stay surprised, the
    # lips stay rounded; and every p/b/m is sealed.
    assert surprised[_frames_in(1.68, 1.8), KEPT_INDEX["jawOpen"]].min() > 0.1
    pause = _frames_in(0.66, 0.8)
    assert surprised[pause, KEPT_INDEX["jawOpen"]].max() < 0.05 and happy[pause, KEPT_INDEX["jawOpen"]].max() < 0.05
    assert surprised[:, KEPT_INDEX["eyeWide"]].min() > 0.8 and surprised[pause, KEPT_INDEX["mouthPucker"]].min() > 0.4
    for start, end in ((0.3, 0.36), (0.5, 0.57), (0.9, 0.95)):
        frames = _frames_in(start, end) if _frames_in(start, end).size else [int(0.5 * (start + end) * FPS)]
        assert (surprised[frames, KEPT_INDEX["jawOpen"]] - surprised[frames, KEPT_INDEX["mouthClose"]]).max() < 0.02
    again = performer.perform(N, "concerned", 1.0, seed=0, phonemes=PHONEMES)
    np.testing.assert_array_equal(again.track.kept, kept)


def test_loudness_opens_the_jaw_wider_and_nods_the_head() -> None:
    performer = Performer()
    sr = 16000
    t = np.arange(int(3.2 * sr)) / sr
    audio = (np.sin(2 * np.pi * 150 * t) * np.where((t > 1.6) & (t < 2.3), 0.8, 0.1)).astype(np.float32)
    quiet_loud = performer.perform(N, "neutral", 1.0, seed=0, phonemes=PHONEMES, audio=audio, sample_rate=sr)
    plain = performer.perform(N, "neutral", 1.0, seed=0, phonemes=PHONEMES)
    jaw, jaw0 = quiet_loud.track.channel("jawOpen"), plain.track.channel("jawOpen")
    loud, quiet = _frames_in(1.68, 1.8), _frames_in(0.36, 0.5)  # "a" inside the loud burst, "ʌ" outside it
    assert jaw[loud].max() > jaw0[loud].max() * 1.2 and jaw[quiet].max() < jaw0[quiet].max() * 0.8
    nod = quiet_loud.track.pose[:, 1] - plain.track.pose[:, 1]
    assert nod[loud].mean() > 0.3 and np.abs(nod).max() <= performer.config.beat_deg
    with pytest.raises(ValueError, match="mono"):
        performer.lipsync.loudness(audio[None], sr, FPS, N)


def test_speech_lets_go_of_the_mouth_in_frames_with_no_sound() -> None:
    """The visemes lead the sound by 40-80 ms; the silence gate closes the lips where nothing is heard."""
    performer = Performer()
    sr = 16000
    t = np.arange(int(3.2 * sr)) / sr
    sounding = np.zeros_like(t, dtype=bool)
    for a, b in ((0.3, 0.57), (0.9, 1.3), (1.6, 2.26)):  # PHONEMES' words; the pauses are silent
        sounding |= (t >= a) & (t < b)
    audio = (0.5 * np.sin(2 * np.pi * 150 * t) * sounding).astype(np.float32)
    gated = performer.perform(N, "neutral", 1.0, seed=0, phonemes=PHONEMES, audio=audio, sample_rate=sr)
    plain = performer.perform(N, "neutral", 1.0, seed=0, phonemes=PHONEMES)
    frame_sound = np.array([sounding[round(k * sr / FPS):round((k + 1) * sr / FPS)].any() for k in range(N)])
    silent = np.flatnonzero(~frame_sound)
    jaw, jaw0 = gated.track.channel("jawOpen"), plain.track.channel("jawOpen")
    assert jaw0[silent].max() > 0.02  # without the audio the lead-in opens the jaw in silence
    assert jaw[silent].max() < 0.002
    words = _frames_in(1.68, 1.8)
    assert jaw[words].max() > 0.1  # and speech still opens it


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: LipSyncConfig(jaw_lead=(0.0, 0.1)), "jaw_lead"),
        (lambda: LipSyncConfig(loudness_gain=(1.2, 1.5)), "loudness_gain"),
        (lambda: LipSyncConfig(closure_floor=0.0), "closure_floor"),
        (lambda: LipSyncConfig(silence_gate=(0.2, 0.1)), "silence_gate"),
        (lambda: IdleConfig(breath_hz=3.0), "breath_hz"),
        (lambda: IdleConfig(blink_interval_s=(0.1, 2.0)), "blink_interval_s"),
        (lambda: PerformanceConfig(fps=0.0), "fps"),
        (lambda: PerformanceConfig(beat_deg=9.0), "beat_deg"),
    ],
)
def test_rig_configs_reject_bad_values_with_a_clear_sentence(make: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()
