"""Split the hand-written dialogue-act corpus ONCE into train and held-out files (seeded, stratified).

    python scripts/split_dialogue_acts.py SOURCE_DIR            # SOURCE_DIR/<act>.txt, one message a line
    python scripts/split_dialogue_acts.py SOURCE_DIR --append   # add new messages; old ones keep their split

Writes tutor/language/data/acts_train.jsonl and acts_heldout.jsonl ({"text", "act"} per line). Per
act, messages are shuffled with a fixed seed and HELDOUT_SHARE of them (rounded) go to held-out, so
every act is represented in both. The held-out file is never used to choose anything
(scripts/train_dialogue_acts.py reads it only for the final report). With --append, messages
already in either file keep their place and only the new ones are split, so growing the corpus
never moves a held-out message into training.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from tutor.types import DIALOGUE_ACTS

DATA = Path(__file__).resolve().parents[1] / "tutor" / "language" / "data"
TRAIN, HELDOUT = DATA / "acts_train.jsonl", DATA / "acts_heldout.jsonl"
HELDOUT_SHARE = 0.2
SEED = 11


def read_jsonl(path: Path) -> list[dict[str, str]]:
    """Rows of a corpus file ([] when the file does not exist yet)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_source(folder: Path) -> dict[str, list[str]]:
    """{act: messages} from folder/<act>.txt; an unknown file name is an error."""
    out: dict[str, list[str]] = {}
    for path in sorted(folder.glob("*.txt")):
        if path.stem not in DIALOGUE_ACTS:
            raise ValueError(f"{path.name}: the file name must be a dialogue act, one of {DIALOGUE_ACTS}.")
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        out[path.stem] = list(dict.fromkeys(t for t in lines if t))  # drop blanks and repeats, keep order
    return out


Rows = list[dict[str, str]]


def split(source: dict[str, list[str]], known: set[str], seed: int) -> tuple[Rows, Rows]:
    """Stratified split of the messages not in `known`."""
    rng = random.Random(seed)
    train: Rows = []
    heldout: Rows = []
    for act in DIALOGUE_ACTS:
        new = [t for t in source.get(act, []) if t.lower() not in known]
        rng.shuffle(new)
        n_held = round(len(new) * HELDOUT_SHARE)
        heldout += [{"text": t, "act": act} for t in new[:n_held]]
        train += [{"text": t, "act": act} for t in new[n_held:]]
    return train, heldout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", type=Path, help="folder of <act>.txt files")
    ap.add_argument("--append", action="store_true", help="keep the existing split, split only new messages")
    args = ap.parse_args()
    old_train, old_held = read_jsonl(TRAIN), read_jsonl(HELDOUT)
    if (old_train or old_held) and not args.append:
        raise SystemExit("The split exists already; it is made once. Use --append to add new messages.")
    known = {r["text"].lower() for r in old_train + old_held}
    seed = SEED + len(known)  # a new draw per batch, reproducible from the files
    train, heldout = split(read_source(args.source), known, seed)
    for path, rows in ((TRAIN, old_train + train), (HELDOUT, old_held + heldout)):
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"added {len(train)} train + {len(heldout)} held-out messages; totals {len(old_train) + len(train)} / "
          f"{len(old_held) + len(heldout)}")


if __name__ == "__main__":
    main()
