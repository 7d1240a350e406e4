"""Make talking clips of the synthetic actor (mp4 + audio + .rig.npz), laid out CREMA-D style.

    .venv/bin/python scripts/make_actor_clips.py --out-dir data/actor_clips --limit 20
    gan-build-corpus --src-dir data/actor_clips --out-dir data/corpus_actor

Each sentence is spoken once per emotion; intensity cycles through 0.5 / 0.8 / 1.0.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gan.actor.clips import CREMA_CODES, clip_name, render_actor_clip, save_actor_clip
from gan.actor.face2d import Actor
from gan.audio.speech import Synthesizer

DEFAULT_TEXTS = (
    "Nice work, three quarters is right!",
    "Let's look at fractions together.",
    "Not quite. Try adding the two numbers first.",
    "Take your time, this one is tricky.",
    "Oh, that is a surprising answer!",
    "Divide both sides by four. What is left?",
)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", default="data/actor_clips")
    ap.add_argument("--texts", default="", help="text file, one sentence per line (default: built-in list)")
    ap.add_argument("--emotions", default=",".join(CREMA_CODES), help="comma-separated rig emotions")
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--fps", type=float, default=25.0)
    ap.add_argument("--limit", type=int, default=0, help="stop after this many clips (0 = all)")
    args = ap.parse_args(argv)
    texts = (Path(args.texts).read_text(encoding="utf-8").splitlines() if args.texts else list(DEFAULT_TEXTS))
    texts = [t.strip() for t in texts if t.strip()]
    emotions = [e.strip() for e in args.emotions.split(",") if e.strip()]
    unknown = set(emotions) - set(CREMA_CODES)
    if unknown:
        raise SystemExit(f"unknown emotions {sorted(unknown)}; use {sorted(CREMA_CODES)}")
    actor, synth = Actor(args.size), Synthesizer.load()
    jobs = [(i, t, e) for i, t in enumerate(texts) for e in emotions]
    if args.limit:
        jobs = jobs[: args.limit]
    out = Path(args.out_dir)
    for k, (i, text, emotion) in enumerate(tqdm(jobs, desc="clips")):
        intensity = (0.5, 0.8, 1.0)[k % 3] if emotion != "neutral" else 0.0
        clip = render_actor_clip(actor, synth, text, emotion, intensity, args.fps, seed=k)
        save_actor_clip(clip, out / f"{clip_name(i, emotion, intensity)}.mp4")
    print(f"{len(jobs)} clips -> {out}")


if __name__ == "__main__":
    main()
