"""Render the GAN training data from the synthetic actor into npz shards (not committed).

    python scripts/build_gan_dataset.py --out data/gan --split train   # still moves + speaking clips
    python scripts/build_gan_dataset.py --out data/gan --split speech  # TTS-only audio-to-motion data
    python scripts/build_gan_dataset.py --out data/gan --split test    # held-out seeds and sentences

The three splits are independent, so they can run in parallel processes.
"""

from __future__ import annotations

import argparse

from gan.data.build import build_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="data/gan")
    parser.add_argument("--split", choices=["train", "speech", "test"], required=True)
    parser.add_argument("--still", type=int, default=3000, help="3-frame still moves (train)")
    parser.add_argument("--speaking", type=int, default=160, help="rendered speaking sentences (train)")
    parser.add_argument("--speech", type=int, default=800, help="TTS-only sentences (speech split)")
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.split == "train":
        build_dataset(args.out, args.still, args.speaking, 0, size=args.size, seed=args.seed)
    elif args.split == "test":
        build_dataset(args.out, max(1, args.still // 20), max(1, args.speaking // 12), 0, size=args.size,
                      seed=args.seed, test=True)
    else:
        build_dataset(args.out, 0, 0, args.speech, size=args.size, seed=args.seed)


if __name__ == "__main__":
    main()
