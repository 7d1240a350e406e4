"""The eval's measurements on known signals, and gan-eval on the avatar v2 checkpoint with the real
models on a tiny budget: the report's structure, and a broken generator failing its bars (the full
eval is `gan-eval` on the shipped avatar, ~25 minutes)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from gan.audio.mel import rms_envelope
from gan.eval.bars import bars
from gan.eval.metrics import (
    bilabial_frames,
    landmark_jitter,
    lipsync_stats,
    pearson_best_lag,
    procrustes_distance,
    psnr,
)
from gan.eval.run import EvalConfig, evaluate

V2_AVATAR = Path(__file__).parents[1] / "gan" / "weights" / "default_avatar"


def test_pearson_best_lag_finds_the_shift() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(200)
    y = np.roll(x, 2)  # y lags x by 2 frames
    r, lag = pearson_best_lag(x, y, max_lag=2)
    assert lag == 2 and r > 0.99
    r3, _ = pearson_best_lag(x, np.roll(x, 5), max_lag=2)
    assert r3 < 0.3  # outside the allowed window: no credit


def test_rms_envelope_per_frame() -> None:
    sr, fps = 16000, 25
    audio = np.concatenate([np.zeros(sr // 2), 0.5 * np.ones(sr // 2)]).astype(np.float32)
    env = rms_envelope(audio, sr, 25, fps)
    assert env.shape == (25,) and np.allclose(env[:12], 0) and np.allclose(env[13:], 0.5)


def test_jitter_ignores_smooth_motion_but_sees_flicker() -> None:
    base = np.zeros((478, 2))
    base[234], base[454] = (0, 0), (100, 0)  # face width 100 px
    t = np.arange(30)[:, None, None]
    smooth = base[None] + t * np.array([1.0, 0.0])  # 1 px/frame drift
    jit_s, motion_s = landmark_jitter(smooth)
    assert jit_s < 1e-9 and motion_s == pytest.approx(0.01)
    flicker = smooth + (t % 2) * np.array([0.0, 2.0])
    assert landmark_jitter(flicker)[0] > 0.009


def test_procrustes_and_psnr() -> None:
    rng = np.random.default_rng(1)
    a = rng.standard_normal((50, 2))
    rot = np.array([[0.0, -1.0], [1.0, 0.0]])
    assert procrustes_distance(a, 3 * a @ rot + 5) < 1e-9
    assert procrustes_distance(a, rng.standard_normal((50, 2))) > 0.1
    img = rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)
    assert psnr(img, img) == 99.0
    assert psnr(img, np.clip(img.astype(int) + 10, 0, 255).astype(np.uint8)) < 30


def test_lipsync_stats_see_closures_on_time_and_miss_them_late() -> None:
    fps, n = 25.0, 50
    phonemes = [("_", 0.0, 0.4), ("m", 0.4, 0.52), ("a", 0.52, 1.0), ("p", 1.0, 1.08), ("a", 1.08, 2.0)]
    pbm = bilabial_frames(phonemes, n, fps)
    assert pbm.tolist() == [10, 11, 12, 25, 26]
    env = np.r_[np.zeros(10), np.full(40, 0.3)]
    opening = np.r_[np.zeros(10), np.full(40, 0.08)]
    opening[pbm] = 0.0  # lips shut exactly on m and p
    stats = lipsync_stats(opening, env, pbm)
    assert stats["pbm_closed"] == 1.0 and stats["silence_closed"] == 1.0 and stats["n_pbm"] == 5
    assert stats["pause_closed"] == 1.0 and stats["n_pause"] == 8  # frames 0-7: >= 2 frames before the sound
    late = lipsync_stats(np.roll(opening, 5), env, pbm)  # the same mouth 0.2 s late: wrong lip timing
    assert late["pbm_closed"] < 0.8 and late["silence_closed"] < 0.8  # both below the 80 % bars


def test_bars_fail_below_target_and_when_not_measured() -> None:
    lip = {"r_mean": 0.75, "r_min": 0.5, "pbm_closed": 0.9, "silence_closed": float("nan"), "pause_closed": 0.85,
           "silent_neutral_closed": 1.0}
    summary = {"expression": {"concerned": {"intended": "sad", "silent_ok": 0.9, "speaking_ok": 0.8},
                              "thinking": {"intended": None, "silent_ok": None, "speaking_ok": None}},
               "lipsync": lip, "face_found": 0.995, "jitter": 0.002, "identity": 0.01}
    verdict = {row["bar"]: row["pass"] for row in bars(summary)}
    assert verdict["expression concerned -> sad, silent"] and not verdict["expression concerned -> sad, speaking"]
    assert not any("thinking" in name for name in verdict)  # no bar for thinking
    assert verdict["lip-sync r, mean over sentences"] and not verdict["lip-sync r, worst sentence"]
    assert not verdict["lips closed in pauses of speech, every silent frame"]  # NaN = not measured = fail
    assert verdict["lips closed in pauses of speech, >= 80 ms from sound"]
    assert verdict["MediaPipe finds the face"] and verdict["identity across clips (Procrustes)"]


@pytest.fixture(scope="module")
def v2_pipe() -> object:
    from gan.pipeline import TalkingHeadPipeline

    return TalkingHeadPipeline.from_pretrained(V2_AVATAR)


@pytest.mark.slow
def test_gan_eval_v2_on_the_wip_checkpoint(tmp_path: Path, v2_pipe: object) -> None:
    """Two silent + two spoken neutral clips, GAN and actor: the report has every bar for both."""
    cfg = EvalConfig(checkpoint_dir=str(V2_AVATAR), out_dir=str(tmp_path), clips=2, emotions="neutral",
                     silent_seconds=0.6, fidelity_every=8)
    report = evaluate(cfg, v2_pipe)  # type: ignore[arg-type]
    for name in ("report.json", "report.md", "sample_sheet.png"):
        assert (tmp_path / name).is_file()
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["bars"] == report["bars"] and saved["resolution"] == 256
    names = [b["bar"] for b in report["bars"]]
    assert names[:2] == ["expression neutral -> neutral, silent", "expression neutral -> neutral, speaking"]
    assert len(names) == 11 and all(b["actor"] is not None for b in report["bars"])
    assert report["gan"]["frames"] == report["actor"]["frames"] > 2 * 15  # silent 2 x 15 frames + 2 sentences
    assert len(report["gan"]["lipsync"]["clips"]) == 2
    # The actor is the rig the tools were checked on: it reads neutral, is found, keeps one identity.
    by_name = {b["bar"]: b for b in report["bars"]}
    for bar in ("expression neutral -> neutral, silent", "MediaPipe finds the face",
                "identity across clips (Procrustes)", "landmark jitter (face widths/frame)"):
        assert by_name[bar]["actor_pass"], bar
    # The GAN draws a face MediaPipe finds on every frame, close to the actor's (measured 28 dB, SSIM 0.92).
    assert by_name["MediaPipe finds the face"]["gan_pass"]
    assert report["fidelity"]["psnr"] > 22 and report["fidelity"]["ssim"] > 0.8
    sheet = cv2.imread(str(tmp_path / "sample_sheet.png"))
    assert sheet.shape[1] == 4 * 256 and sheet.shape[0] >= 256  # actor | GAN, silent and speaking, full size
    assert "| MediaPipe finds the face | >= 0.99 |" in (tmp_path / "report.md").read_text()


@pytest.mark.slow
def test_gan_eval_v2_fails_a_generator_with_zeroed_weights(tmp_path: Path, v2_pipe: object) -> None:
    """A broken generator (all weights zero: a flat image) must fail the face and expression bars."""
    import copy

    import torch

    from gan.pipeline import TalkingHeadPipeline

    assert isinstance(v2_pipe, TalkingHeadPipeline)
    model = copy.deepcopy(v2_pipe.model)
    with torch.no_grad():
        for p in model.generator.parameters():
            p.zero_()
    broken = TalkingHeadPipeline(model, v2_pipe.config)
    broken._synth = v2_pipe._synth  # the same voice, not loaded twice
    cfg = EvalConfig(out_dir=str(tmp_path), clips=1, emotions="neutral", silent_seconds=0.6, actor_reference=False)
    report = evaluate(cfg, broken)
    verdict = {b["bar"]: b["gan_pass"] for b in report["bars"]}
    assert not verdict["MediaPipe finds the face"] and not verdict["expression neutral -> neutral, silent"]
    assert not report["passed"] and "actor" not in report
