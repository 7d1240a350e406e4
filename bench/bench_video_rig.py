"""How well gan/data/video_rig.py reads the rig from a face: on actor v2 renders whose true rig and pose are known.

    PYTHONPATH=$PWD nice -n 10 .venv/bin/python bench/bench_video_rig.py --data data/gan_v4 [--start 0] [--files 10]

Reads `--files` corpus sequences (seq_*.npz, every `--every`-th frame), runs the corpus builder's
MediaPipe face mesh on the frames and the rig estimate on all of them at once (normalised over the
frames, as for a person's video; the pose reference is the corpus' own rest frame), then prints
Pearson r and slope of the estimate against the truth for the head pose and each estimated
channel. The README quotes a run on /work/main/data/gan_v4 seq_0000-0009.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from gan.data.face_align import FaceMesher
from gan.data.video_rig import CUES, measures, rig_from_measures, rigid_reference
from gan.rig.arkit import KEPT, POSE_NAMES


def _fit(est: np.ndarray, true: np.ndarray) -> str:
    if est.std() == 0 or true.std() == 0:
        return "constant (no r)"
    r = float(np.corrcoef(est, true)[0, 1])
    slope = float(np.polyfit(true, est, 1)[0])
    return f"r {r:5.2f}  slope {slope:5.2f}  true std {true.std():.3f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="a v2 corpus folder (seq_*.npz with rig, pose, reference)")
    ap.add_argument("--files", type=int, default=6, help="sequences to read (from --start)")
    ap.add_argument("--start", type=int, default=60, help="first sequence number")
    ap.add_argument("--every", type=int, default=1, help="take every n-th frame (1: smoothing sees real neighbours)")
    args = ap.parse_args()
    paths = sorted(Path(args.data).glob("seq_*.npz"))[args.start : args.start + args.files]
    if not paths:
        raise SystemExit(f"No seq_*.npz from number {args.start} in {args.data}.")
    frames, pose, rig = [], [], []
    for path in paths:
        with np.load(path) as d:
            frames.append(d["frames"][:: args.every])
            pose.append(d["pose"][:: args.every])
            rig.append(d["rig"][:: args.every])
            rest = d["reference"][0]
    with FaceMesher(video=False) as mesh:
        ref_lm = mesh(rest)
        if ref_lm is None:
            raise SystemExit("MediaPipe finds no face in the corpus' reference frame.")
        found = [(i, lm) for i, f in enumerate(np.concatenate(frames)) if (lm := mesh(f)) is not None]
    keep = [i for i, _ in found]
    true_pose, true_rig = np.concatenate(pose)[keep], np.concatenate(rig)[keep]
    m, est_pose = measures(np.stack([lm for _, lm in found]), rigid_reference(ref_lm))
    est_rig = rig_from_measures(m, len(KEPT))
    print(f"{len(found)} of {sum(len(f) for f in frames)} frames with a face, from {len(paths)} sequences")
    for a, name in enumerate(POSE_NAMES):
        print(f"  {name:18s} {_fit(est_pose[:, a], true_pose[:, a])}")
    for name in ("eyeBlink", "eyeSquint", *CUES):
        k = KEPT.index(name)
        print(f"  {name:18s} {_fit(est_rig[:, k], true_rig[:, k])}")


if __name__ == "__main__":
    main()
