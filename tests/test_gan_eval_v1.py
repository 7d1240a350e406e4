"""gan-eval for v1 checkpoints (gan/eval/v1.py): the report's rendering and one tiny end-to-end eval
of the shipped v1 avatar. Delete with v1."""

from __future__ import annotations

from pathlib import Path

import pytest

from gan.eval.v1 import INTENDED, EvalConfig, evaluate, render_markdown


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
        checkpoint_dir=str(Path(__file__).parents[1] / "gan" / "weights" / "default_avatar"),  # the v1 avatar
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
