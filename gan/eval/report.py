"""The avatar v2 eval report: report.md from report.json's dict, and the actor-vs-GAN sample sheet."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from gan.eval.takes import Take

LABEL_H = 22  # px of caption above each row of the sample sheet


def pick_frame(take: Take) -> int:
    """The frame a sample sheet shows: mid-clip when silent, the widest jaw while articulating when speaking."""
    if take.speech is None or not take.perf.speaking.any():
        return len(take.perf.track) // 2
    from gan.rig.arkit import KEPT_INDEX

    jaw = np.where(take.perf.speaking, take.perf.track.kept[:, KEPT_INDEX["jawOpen"]], -1.0)
    return int(jaw.argmax())


def sample_sheet(rows: Sequence[tuple[str, Sequence[np.ndarray]]], columns: Sequence[str]) -> np.ndarray:
    """Rows of full-size tiles (e.g. actor | GAN, silent then speaking) with a caption strip -> (H, W, 3) uint8."""
    out = []
    for name, tiles in rows:
        strip = np.full((LABEL_H, sum(t.shape[1] for t in tiles), 3), 255, np.uint8)
        x = 0
        for tile, col in zip(tiles, columns):
            cv2.putText(strip, f"{name}: {col}", (x + 4, LABEL_H - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1,
                        cv2.LINE_AA)
            x += tile.shape[1]
        out.append(np.concatenate([strip, np.concatenate(list(tiles), axis=1)], axis=0))
    return np.concatenate(out, axis=0)


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"


def render_markdown(report: dict[str, Any]) -> str:
    """A short human-readable version of report.json (quoted by the README)."""
    has_actor = "actor" in report
    lines = [f"# Avatar v2 eval: {report['checkpoint']} ({report['resolution']}x{report['resolution']}, "
             f"{report['gan']['frames']} frames per renderer)", "",
             f"`{report['command']}` - {report['seconds']:.0f} s, load average {report['load_avg'][0]:.1f} "
             f"-> {report['load_avg'][1]:.1f}. **{'ALL BARS PASS' if report['passed'] else 'SOME BARS FAIL'}** "
             f"({sum(b['gan_pass'] for b in report['bars'])}/{len(report['bars'])} for the GAN).", "",
             "| bar | target | GAN | pass | " + ("actor (ceiling) | pass |" if has_actor else ""),
             "|---|---|---|---|" + ("---|---|" if has_actor else "")]
    for b in report["bars"]:
        row = f"| {b['bar']} | {b['target']} | {_fmt(b['gan'])} | {'yes' if b['gan_pass'] else '**no**'} |"
        if has_actor:
            row += f" {_fmt(b['actor'])} | {'yes' if b['actor_pass'] else 'no'} |"
        lines.append(row)
    fid = report.get("fidelity")
    if fid:
        lines += ["", f"Fidelity, GAN vs actor on the same rig numbers ({fid['frames']} frames): PSNR "
                  f"{fid['psnr']:.1f} dB (silent {fid['psnr_silent']:.1f}, speaking {fid['psnr_speaking']:.1f}), "
                  f"SSIM {fid['ssim']:.3f} (silent {fid['ssim_silent']:.3f}, speaking {fid['ssim_speaking']:.3f}); "
                  f"landmark shape distance GAN vs actor, same frames (Procrustes): {fid['landmarks_vs_actor']:.4f}. "
                  "Sample sheet: sample_sheet.png (actor | GAN, silent and mid-speech)."]
    lines += ["", "Lip-sync per emotion (context; the bars pool every emotion): r mean / worst, p/b/m closed, "
              "pauses closed (every silent frame / >= 80 ms from sound):", "",
              "| emotion | GAN | " + ("actor |" if has_actor else ""),
              "|---|---|" + ("---|" if has_actor else "")]
    for emotion in report["gan"]["lipsync_per_emotion"]:
        cells = [report[who]["lipsync_per_emotion"][emotion] for who in ("gan", "actor") if who in report]
        lines.append(f"| {emotion} | " + " | ".join(
            f"{c['r_mean']:.2f} / {c['r_min']:.2f}, {c['pbm_closed']:.2f}, {c['silence_closed']:.2f} / "
            f"{c['pause_closed']:.2f}" for c in cells)
            + " |")
    for who in ("gan", "actor") if has_actor else ("gan",):
        lines += ["", f"Classifier readings per clip, {who} (silent / speaking):", ""]
        for emotion, row in report[who]["expression"].items():
            lines.append(f"- {emotion} (wants {row['intended'] or 'no bar'}): {', '.join(row['silent'])} / "
                         f"{', '.join(row['speaking'])}")
    return "\n".join(lines) + "\n"
