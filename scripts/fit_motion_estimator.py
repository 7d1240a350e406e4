"""Fit gan/weights/motion_estimator.json: landmarks -> rig motion, calibrated on the actor.

Renders random rig settings with the synthetic actor (emotions, visemes, blink, gaze, pose),
finds MediaPipe landmarks, and fits (1) per-axis linear calibration of the Kabsch head pose
and (2) ridge regression from pose-normalised shape features to jaw, lip width, rounding,
blink and gaze. Prints R^2 per field on a held-out quarter and stores it in the JSON.

    .venv/bin/python scripts/fit_motion_estimator.py --samples 600
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gan.actor.face2d import Actor
from gan.data.face_align import FaceMesher
from gan.rig.motion_estimate import (
    DEFAULT_PATH,
    POSE,
    REGRESSED,
    RIGID,
    MotionEstimator,
    normalise_landmarks,
    shape_features,
)
from gan.rig.params import MOTION_FIELDS, RIG_EMOTIONS, RigParams


def random_params(rng: np.random.Generator) -> RigParams:
    """Rig settings spread over the ranges speech and idle motion use (pose within +-18 deg)."""
    emo = {e: float(rng.uniform()) ** 3 for e in RIG_EMOTIONS}
    emo["neutral"] += 0.2
    return RigParams(
        jaw_open=float(rng.uniform(0, 1) ** 1.3), lip_width=float(rng.uniform(-1, 1)),
        lip_round=float(rng.uniform(0, 1) * (rng.uniform() < 0.6)),
        blink=float(rng.choice([0, 0, 0, 1, rng.uniform()])),
        yaw=float(rng.uniform(-18, 18)), pitch=float(rng.uniform(-12, 12)), roll=float(rng.uniform(-10, 10)),
        gaze_x=float(rng.uniform(-1, 1)), gaze_y=float(rng.uniform(-1, 1)), emotion=emo,
        intensity=float(rng.uniform(0, 1)),
    )


def ridge(x: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    xb = np.hstack([x, np.ones((len(x), 1))])
    reg = lam * np.eye(xb.shape[1])
    reg[-1, -1] = 0.0
    return np.linalg.solve(xb.T @ xb + reg, xb.T @ y)


def r2(pred: np.ndarray, true: np.ndarray) -> float:
    return float(1.0 - np.sum((pred - true) ** 2) / max(np.sum((true - true.mean()) ** 2), 1e-9))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--samples", type=int, default=600)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(DEFAULT_PATH))
    args = ap.parse_args(argv)
    t0 = time.time()
    actor = Actor(256, seed=0)
    mesher = FaceMesher(video=False)
    ref_lm = mesher(actor.render(RigParams()))
    if ref_lm is None:
        raise SystemExit("MediaPipe found no face in the neutral actor frame.")
    ref_pts, _ = normalise_landmarks(ref_lm)
    reference = ref_pts[list(RIGID)]
    rng = np.random.default_rng(args.seed)
    poses, feats, targets = [], [], []
    dummy = MotionEstimator(reference, np.ones(3), np.zeros(3), np.zeros(1), np.ones(1), np.zeros((2, 6)))
    missed = 0
    for _ in range(args.samples):
        p = random_params(rng)
        lm = mesher(actor.render(p))
        if lm is None:
            missed += 1
            continue
        angles, frontal = dummy.raw_pose(lm)
        poses.append(angles)
        feats.append(shape_features(frontal))
        targets.append(p.motion_vector())
    pose_raw, f, t = np.array(poses), np.array(feats), np.array(targets)
    n_train = int(0.75 * len(f))
    idx = {n: MOTION_FIELDS.index(n) for n in MOTION_FIELDS}
    gain, offset = np.ones(3), np.zeros(3)
    report: dict[str, float] = {}
    for k, name in enumerate(POSE):
        a = np.vstack([pose_raw[:n_train, k], np.ones(n_train)]).T
        gain[k], offset[k] = np.linalg.lstsq(a, t[:n_train, idx[name]], rcond=None)[0]
        report[name] = r2(gain[k] * pose_raw[n_train:, k] + offset[k], t[n_train:, idx[name]])
    mean, std = f[:n_train].mean(axis=0), f[:n_train].std(axis=0) + 1e-9
    fz = (f - mean) / std
    cols = [idx[n] for n in REGRESSED]
    w = ridge(fz[:n_train], t[:n_train][:, cols], lam=1.0)
    pred = np.hstack([fz[n_train:], np.ones((len(fz) - n_train, 1))]) @ w
    for j, name in enumerate(REGRESSED):
        report[name] = r2(pred[:, j], t[n_train:, cols[j]])
    est = MotionEstimator(reference, gain, offset, mean, std, w)
    fit: dict[str, object] = {"samples": len(f), "missed": missed, "seed": args.seed,
                              "held_out_r2": {k: round(v, 4) for k, v in report.items()},
                              "command": "scripts/fit_motion_estimator.py"}
    extra: dict[str, object] = {"fit": fit}
    est.to_json(args.out, extra)
    print(f"{len(f)} frames ({missed} without a face) in {time.time() - t0:.1f} s -> {args.out}")
    for name, value in report.items():
        print(f"  held-out R^2 {name:10s} {value:.3f}")


if __name__ == "__main__":
    main()
