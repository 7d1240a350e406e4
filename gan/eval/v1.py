"""`gan-eval` for v1 checkpoints (128 px Generator + audio-to-motion); delete with v1.

    gan-eval --checkpoint_dir gan/weights/default_avatar --data_dir data/gan --run_dir runs/avatar

Writes report.json + report.md (+ sample_sheet.png, curves.png) into out_dir. Measures
(issue 5's quality bars): MediaPipe face detection rate; the fer mini-Xception's reading of the
intended emotion per clip (confusion matrix); lip-sync (MediaPipe mouth opening vs audio RMS,
Pearson r at the best lag within +-2 frames; mouth closed in silence); stability (landmark
jitter on a silent neutral clip; identity across clips); fidelity (SSIM/PSNR vs the actor on
held-out conditions). With `actor_reference` the same clips are also rendered by the synthetic
actor from the same motion and measured with the same tools: the ceiling a perfect generator
would reach, which separates "the generator lost it" from "the rig or the tools cannot".
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from gan.clip import AvatarClip
from gan.eval.faces import FaceTools, clip_label
from gan.eval.metrics import (
    landmark_jitter,
    mouth_opening,
    pearson_best_lag,
    procrustes_distance,
    psnr,
    rms_envelope,
)

# Intended emotion -> the classifier label that counts as correct (issue 5).
INTENDED: dict[str, str] = {"happy": "happy", "concerned": "sad", "surprised": "surprised", "neutral": "neutral"}


@dataclass(frozen=True)
class EvalConfig:
    """What to evaluate and where to write the report."""

    checkpoint_dir: str = ""  # inference checkpoint; "" = the shipped default avatar
    data_dir: str = "data/gan"  # held-out test shards (fidelity); skipped when absent
    run_dir: str = ""  # training run with metrics.jsonl for the curves plot; "" = none
    out_dir: str = "gan/weights/default_avatar"  # report.json, report.md, PNGs
    sentences_per_emotion: int = 5  # spoken clips per intended emotion
    react_seeds: int = 3  # silent clips per intended emotion (different idle-motion seeds)
    react_seconds: float = 3.0  # length of each silent clip
    fidelity_items: int = 300  # held-out frames for SSIM/PSNR
    actor_reference: bool = True  # also measure the actor on the same motion (the generator's ceiling)

    def __post_init__(self) -> None:
        if self.sentences_per_emotion < 1 or self.react_seeds < 2:
            raise ValueError("EvalConfig needs sentences_per_emotion >= 1 and react_seeds >= 2.")


def _lipsync(clip: AvatarClip, landmarks: list[np.ndarray | None]) -> dict[str, float]:
    ok = np.array([lm is not None for lm in landmarks])
    opening = np.array([mouth_opening(lm) if lm is not None else np.nan for lm in landmarks])
    env = rms_envelope(clip.audio, clip.sample_rate, len(clip.frames), clip.fps)
    r, lag = pearson_best_lag(opening[ok], env[ok])
    silent = ok & (env < 0.05 * env.max())
    voiced = ok & (env > 0.3 * env.max())
    return {"r": r, "lag": lag, "open_silence": float(np.nanmean(opening[silent])) if silent.any() else float("nan"),
            "open_voiced": float(np.nanmean(opening[voiced])) if voiced.any() else float("nan")}


class _ActorReference:
    """The synthetic actor rendering an eval clip's motion: what a perfect generator would show."""

    def __init__(self, pipe: Any) -> None:
        from gan.actor.face2d import Actor

        self.pipe = pipe
        self.actor = Actor(size=pipe.size)

    def _frames(self, motion: np.ndarray, emotion: np.ndarray) -> np.ndarray:
        from gan.rig.params import RigParams

        intensity = self.pipe.config.intensity
        return self.actor.render_batch([RigParams.from_vectors(m, emotion, intensity) for m in motion], workers=2)

    def speaking(self, clip: AvatarClip, emotion: str) -> np.ndarray:
        """The clip's audio -> audio-to-motion + idle motion (as `speak` does) -> actor frames."""
        from gan.pipeline import _emotion_vector

        n = len(clip.frames)
        emo = _emotion_vector(emotion)
        visemes = self.pipe._visemes(clip.audio, clip.sample_rate, n, emo, self.pipe.config.intensity)
        return self._frames(self.pipe._motion(visemes, n, True, self.pipe.config.seed), emo)

    def silent(self, clip: AvatarClip, emotion: str, seed: int) -> np.ndarray:
        """The idle motion `react` used (same seed) -> actor frames."""
        from gan.pipeline import _emotion_vector

        return self._frames(self.pipe._motion(None, len(clip.frames), False, seed), _emotion_vector(emotion))


def _fidelity(pipe: Any, data_dir: str, n: int) -> tuple[dict[str, float], np.ndarray | None]:
    """SSIM/PSNR of the generator against the actor on held-out test frames + a sample sheet."""
    from skimage.metrics import structural_similarity

    from gan.data.dataset import load_shards

    try:
        a = load_shards(data_dir, "test_seq")
    except FileNotFoundError:
        return {}, None
    idx = np.linspace(0, len(a["frames"]) - 1, min(n, len(a["frames"]))).astype(int)
    out: dict[str, list[float]] = {"ssim_still": [], "psnr_still": [], "ssim_speaking": [], "psnr_speaking": []}
    fakes = []
    for i in idx:
        fake = pipe._render(a["motion"][i : i + 1], a["emotion"][i], float(a["intensity"][i]))[0]
        real = a["frames"][i]
        kind = "speaking" if a["speaking"][i] else "still"
        out[f"ssim_{kind}"].append(float(structural_similarity(real, fake, channel_axis=2, data_range=255)))
        out[f"psnr_{kind}"].append(psnr(real, fake))
        fakes.append(fake)
    stats = {k: float(np.mean(v)) for k, v in out.items() if v}
    stats["ssim"] = float(np.mean(out["ssim_still"] + out["ssim_speaking"]))
    stats["psnr"] = float(np.mean(out["psnr_still"] + out["psnr_speaking"]))
    stats["n_frames"] = len(idx)
    pick = np.linspace(0, len(idx) - 1, 12).astype(int)
    pairs = [np.concatenate([a["frames"][idx[p]], fakes[p]], axis=1) for p in pick]  # actor | GAN
    rows = [np.concatenate(pairs[r * 4 : r * 4 + 4], axis=1) for r in range(3)]
    return stats, np.concatenate(rows, axis=0)


def plot_curves(metrics_path: Path, out_png: Path) -> None:
    """Training curves (L1, adversarial, feature matching, sync) from a run's metrics.jsonl."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(x) for x in metrics_path.read_text().splitlines() if x.strip()]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.5))
    for ax, keys in zip(axes, (("l1",), ("d_loss", "g_adv", "g_temporal"), ("fm", "sync"))):
        for k in keys:
            pts = [(r["step"], r[k]) for r in rows if k in r]
            if pts:
                s, v = zip(*pts)
                ax.plot(s, v, label=k, lw=0.8)
        ax.set_xlabel("step")
        if ax.lines:
            ax.legend()
    axes[0].set_yscale("log")
    fig.tight_layout()
    fig.savefig(out_png, dpi=110)
    plt.close(fig)


def evaluate(cfg: EvalConfig) -> dict[str, Any]:
    """Render the eval clips, measure them, write report.json/.md (+ PNGs) into cfg.out_dir."""
    from affect.types import BASIC_EMOTIONS
    from gan.data.build import tutor_sentences
    from gan.pipeline import TalkingHeadPipeline

    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pipe = TalkingHeadPipeline.from_pretrained(cfg.checkpoint_dir or None)
    tools = FaceTools()
    texts = tutor_sentences(cfg.sentences_per_emotion * len(INTENDED), seed=777, held_out=True)
    labels = [*BASIC_EMOTIONS, "none"]
    confusion = {kind: {e: dict.fromkeys(labels, 0) for e in INTENDED} for kind in ("speak", "react")}
    n_frames = n_found = 0
    lips: list[dict[str, float]] = []
    react_open: list[float] = []
    jitters: list[tuple[float, float]] = []
    shapes: list[np.ndarray] = []
    actor = _ActorReference(pipe) if cfg.actor_reference else None
    ref_confusion = {kind: {e: dict.fromkeys(labels, 0) for e in INTENDED} for kind in ("speak", "react")}
    ref_lips: list[dict[str, float]] = []
    for k, emotion in enumerate(INTENDED):
        for j in range(cfg.sentences_per_emotion):
            clip = pipe.speak(texts[k * cfg.sentences_per_emotion + j], emotion=emotion)
            res = tools.analyse(clip.frames)
            n_frames, n_found = n_frames + len(clip.frames), n_found + int(res["found"].sum())
            confusion["speak"][emotion][clip_label(res["probs"])] += 1
            lips.append(_lipsync(clip, res["landmarks"]))
            if actor is not None:
                ref = replace(clip, frames=actor.speaking(clip, emotion))
                ref_res = tools.analyse(ref.frames)
                ref_confusion["speak"][emotion][clip_label(ref_res["probs"])] += 1
                ref_lips.append(_lipsync(ref, ref_res["landmarks"]))
        for seed in range(cfg.react_seeds):
            seeded = TalkingHeadPipeline(pipe.model, replace(pipe.config, seed=seed))
            clip = seeded.react(emotion=emotion, seconds=cfg.react_seconds)
            res = tools.analyse(clip.frames)
            n_frames, n_found = n_frames + len(clip.frames), n_found + int(res["found"].sum())
            confusion["react"][emotion][clip_label(res["probs"])] += 1
            if actor is not None:
                ref_probs = tools.analyse(actor.silent(clip, emotion, seed))["probs"]
                ref_confusion["react"][emotion][clip_label(ref_probs)] += 1
            lms = [lm for lm in res["landmarks"] if lm is not None]
            react_open.extend(mouth_opening(lm) for lm in lms)
            if emotion == "neutral" and len(lms) > 2:
                jitters.append(landmark_jitter(np.stack(lms)))
                shapes.append(np.mean(lms, axis=0))
    correct = {kind: sum(confusion[kind][e][INTENDED[e]] for e in INTENDED) for kind in confusion}
    totals = {"speak": cfg.sentences_per_emotion * len(INTENDED), "react": cfg.react_seeds * len(INTENDED)}
    rs = np.array([x["r"] for x in lips])
    identity = [procrustes_distance(a, b) for i, a in enumerate(shapes) for b in shapes[i + 1 :]]
    fidelity, sheet = _fidelity(pipe, cfg.data_dir, cfg.fidelity_items)
    report: dict[str, Any] = {
        "checkpoint": str(cfg.checkpoint_dir or "gan/weights/default_avatar"),
        "resolution": pipe.size,
        "fps": pipe.fps,
        "face_detection_rate": n_found / max(1, n_frames),
        "frames_evaluated": n_frames,
        "expression_accuracy": {k: correct[k] / totals[k] for k in correct},
        "expression_accuracy_all": sum(correct.values()) / sum(totals.values()),
        "confusion": confusion,
        "lipsync_pearson_mean": float(np.nanmean(rs)),
        "lipsync_pearson_min": float(np.nanmin(rs)),
        "lipsync_clips_r_ge_0.6": float(np.mean(rs >= 0.6)),
        "lipsync_best_lags": [x["lag"] for x in lips],
        "mouth_open_silence_in_speech": float(np.nanmean([x["open_silence"] for x in lips])),
        "mouth_open_voiced": float(np.nanmean([x["open_voiced"] for x in lips])),
        "mouth_open_react_clips": float(np.mean(react_open)) if react_open else float("nan"),
        "jitter_second_diff_face_width": float(np.mean([j[0] for j in jitters])) if jitters else float("nan"),
        "motion_per_frame_face_width": float(np.mean([j[1] for j in jitters])) if jitters else float("nan"),
        "identity_procrustes_across_clips": float(np.mean(identity)) if identity else float("nan"),
        "fidelity": fidelity,
        "eval_config": asdict(cfg),
    }
    if actor is not None:
        ref_correct = {kind: sum(ref_confusion[kind][e][INTENDED[e]] for e in INTENDED) for kind in ref_confusion}
        ref_rs = np.array([x["r"] for x in ref_lips])
        report["actor_reference"] = {
            "expression_accuracy": {k: ref_correct[k] / totals[k] for k in ref_correct},
            "confusion": ref_confusion,
            "lipsync_pearson_mean": float(np.nanmean(ref_rs)),
            "lipsync_pearson_min": float(np.nanmin(ref_rs)),
        }
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    if sheet is not None:
        cv2.imwrite(str(out / "sample_sheet.png"), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    if cfg.run_dir and (Path(cfg.run_dir) / "metrics.jsonl").is_file():
        plot_curves(Path(cfg.run_dir) / "metrics.jsonl", out / "curves.png")
    (out / "report.md").write_text(render_markdown(report))
    return report


def render_markdown(r: dict[str, Any]) -> str:
    """A short human-readable version of report.json (quoted by the README)."""
    from affect.types import BASIC_EMOTIONS

    acc = r["expression_accuracy"]
    opens = (r["mouth_open_silence_in_speech"], r["mouth_open_voiced"], r["mouth_open_react_clips"])
    lines = [
        f"# Default avatar eval ({r['resolution']}x{r['resolution']} at {r['fps']:.0f} fps)",
        "",
        "| measure | value | bar |",
        "|---|---|---|",
        f"| MediaPipe face detection rate | {r['face_detection_rate']:.4f} ({r['frames_evaluated']} frames) "
        "| >= 0.99 |",
        f"| expression read as intended, speaking clips | {acc['speak']:.2f} | >= 0.90 |",
        f"| expression read as intended, silent clips | {acc['react']:.2f} | >= 0.90 |",
        f"| lip-sync Pearson r (mean / min over clips) | {r['lipsync_pearson_mean']:.2f} / "
        f"{r['lipsync_pearson_min']:.2f} | >= 0.6 |",
        "| mouth opening / face width: silence in speech, voiced, silent clips | "
        + ", ".join(f"{x:.3f}" for x in opens) + " | closed in silence |",
        f"| landmark jitter, silent neutral clip (face widths/frame) | {r['jitter_second_diff_face_width']:.4f} "
        "| < 0.01 |",
        f"| identity: landmark shape distance across clips (Procrustes) | "
        f"{r['identity_procrustes_across_clips']:.4f} | small |",
    ]
    fid = r.get("fidelity") or {}
    if fid:
        lines.append(f"| fidelity vs actor, held-out: SSIM / PSNR | {fid['ssim']:.3f} / {fid['psnr']:.1f} dB | |")
    ref = r.get("actor_reference")
    if ref:
        racc = ref["expression_accuracy"]
        lines += ["", "The same clips rendered by the synthetic actor from the same motion (the generator's "
                  "ceiling; same tools):", "", "| measure | actor | GAN |", "|---|---|---|",
                  f"| expression read as intended, speaking / silent | {racc['speak']:.2f} / {racc['react']:.2f} "
                  f"| {acc['speak']:.2f} / {acc['react']:.2f} |",
                  f"| lip-sync Pearson r, mean / min | {ref['lipsync_pearson_mean']:.2f} / "
                  f"{ref['lipsync_pearson_min']:.2f} | {r['lipsync_pearson_mean']:.2f} / "
                  f"{r['lipsync_pearson_min']:.2f} |"]
    tables = [("GAN", r["confusion"])] + ([("actor", ref["confusion"])] if ref else [])
    for who, confusion in tables:
        for kind in ("speak", "react"):
            lines += ["", f"Confusion, {who} ({kind} clips; rows intended, columns classifier):", "",
                      "| intended | " + " | ".join(BASIC_EMOTIONS) + " | none |",
                      "|---" * (len(BASIC_EMOTIONS) + 2) + "|"]
            for e, row in confusion[kind].items():
                lines.append(f"| {e} | " + " | ".join(str(row[c]) for c in [*BASIC_EMOTIONS, "none"]) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Entry point of `gan-eval` (flags from EvalConfig's fields)."""
    import argparse

    parser = argparse.ArgumentParser(description="Evaluate a talking-head avatar checkpoint.")
    for name, value in asdict(EvalConfig()).items():
        parser.add_argument(f"--{name}", type=type(value), default=value)
    cfg = EvalConfig(**vars(parser.parse_args(argv)))
    report = evaluate(cfg)
    print(render_markdown(report))


if __name__ == "__main__":
    main()
