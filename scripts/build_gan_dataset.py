"""Render the GAN's training corpus: the 3D actor (gan/actor/render.py) performing the rig (gan/rig/performance.py).

    nice -n 5 python scripts/build_gan_dataset.py --out data/gan_v3 --n_train 200 --n_test 12

One `seq_NNNN.npz` / `test_seq_NNNN.npz` per sequence (format: gan/data/rig_corpus.py), a
manifest.json beside them. Resumable: run the same command again and it renders only the missing
files. Prints the frames rendered per second at the end.
"""

from __future__ import annotations

import argparse
import dataclasses
import json

from gan.data.build import ActorCorpusConfig, CorpusBuilder


def main() -> None:
    defaults = ActorCorpusConfig()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=defaults.out_dir, help="output folder (not committed)")
    parser.add_argument("--n_train", type=int, default=defaults.n_train, help="training sequences")
    parser.add_argument("--n_test", type=int, default=defaults.n_test, help="held-out sequences")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="seed of every clip plan")
    parser.add_argument("--size", type=int, default=defaults.size, help="frame side in pixels")
    args = parser.parse_args()
    config = dataclasses.replace(defaults, out_dir=args.out, n_train=args.n_train, n_test=args.n_test,
                                 seed=args.seed, size=args.size)
    from gan.actor.render import HeadRenderer, RenderConfig

    builder = CorpusBuilder(config, HeadRenderer(RenderConfig(size=config.size)))
    stats = builder.build()
    print(json.dumps({k: round(v, 2) for k, v in stats.items()}))


if __name__ == "__main__":
    main()
