"""The eval's measurements on known signals, the report's rendering, and one tiny end-to-end eval
of the shipped avatar (the full eval is `gan-eval`, a few minutes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gan.eval.metrics import landmark_jitter, pearson_best_lag, procrustes_distance, psnr, rms_envelope
from gan.eval.run import INTENDED, EvalConfig, evaluate, render_markdown


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


def test_report_markdown_renders() -> None:
    zero_row = {k: 0 for k in ["neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised", "none"]}
    confusion = {kind: {e: dict(zero_row) for e in ("happy", "neutral")} for kind in ("speak", "react")}
    report = {
        "resolution": 128,
        "fps": 25.0,
        "face_detection_rate": 1.0,
        "frames_evaluated": 10,
        "expression_accuracy": {"speak": 1.0, "react": 0.5},
        "lipsync_pearson_mean": 0.7,
        "lipsync_pearson_min": 0.6,
        "mouth_open_silence_in_speech": 0.02,
        "mouth_open_voiced": 0.1,
        "mouth_open_react_clips": 0.02,
        "jitter_second_diff_face_width": 0.001,
        "identity_procrustes_across_clips": 0.01,
        "fidelity": {"ssim": 0.9, "psnr": 30.0},
        "confusion": confusion,
    }
    md = render_markdown(report)
    assert "| MediaPipe face detection rate | 1.0000" in md and "SSIM / PSNR | 0.900 / 30.0 dB" in md
    assert "Confusion, actor" not in md and "same motion" not in md
    report["actor_reference"] = {
        "expression_accuracy": {"speak": 0.75, "react": 1.0},
        "confusion": confusion,
        "lipsync_pearson_mean": 0.65,
        "lipsync_pearson_min": 0.5,
    }
    md = render_markdown(report)
    assert "| expression read as intended, speaking / silent | 0.75 / 1.00 | 1.00 / 0.50 |" in md
    assert "Confusion, actor (react clips" in md
    assert "| lip-sync Pearson r, mean / min | 0.65 / 0.50 | 0.70 / 0.60 |" in md


@pytest.mark.slow
def test_evaluate_end_to_end_with_actor_reference(tmp_path: Path) -> None:
    """The whole eval on a tiny budget: real avatar, TTS, MediaPipe, classifier, actor reference."""
    cfg = EvalConfig(
        out_dir=str(tmp_path),
        data_dir=str(tmp_path / "none"),
        sentences_per_emotion=1,
        react_seeds=2,
        react_seconds=0.4,
    )
    report = evaluate(cfg)
    assert (tmp_path / "report.json").is_file() and (tmp_path / "report.md").is_file()
    assert report["frames_evaluated"] > 40 and 0.0 <= report["face_detection_rate"] <= 1.0
    ref = report["actor_reference"]
    for conf in (report["confusion"], ref["confusion"]):
        assert sum(sum(row.values()) for row in conf["speak"].values()) == len(INTENDED)
        assert sum(sum(row.values()) for row in conf["react"].values()) == 2 * len(INTENDED)
    # The actor is the rig the classifier was checked on: its speaking clips read as intended.
    assert ref["expression_accuracy"]["speak"] >= 0.75
    assert -1.0 <= ref["lipsync_pearson_mean"] <= 1.0
