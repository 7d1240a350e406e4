"""Train the text valence regressor on VADER's human-rated sentences and report held-out correlation.

Data (MIT, Hutto & Gilbert 2014): the `vadersentiment==3.3.2` source distribution carries
`additional_resources/hutto_ICWSM_2014.tar.gz`: tweets, movie-review snippets, NYT editorial and
Amazon review snippets, each the mean of ~20 human ratings on -4..+4. Reproduce with

    .venv/bin/pip download --no-deps --no-binary :all: vadersentiment==3.3.2 -d /tmp/vader
    .venv/bin/python scripts/train_valence.py --sdist /tmp/vader/vaderSentiment-3.3.2.tar.gz --cap 2500

The sentences are embedded with the shipped `TextAffect` encoder (the same `embed()` that
`predict` uses), a tanh(linear) regressor is fitted to rating/4 with an L2 penalty chosen on a
validation part of the training data, and Pearson/Spearman are reported on a held-out 20 % of
each source that is never used for fitting or choosing. The regressor is written into the text
head's model.safetensors (`head.valence.*`), the numbers into metrics.json and EVAL.md.
Nothing of the data is committed.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import tarfile
import time
from pathlib import Path

import numpy as np
import torch
from affect_eval_report import write_report

from affect.config import TextAffectConfig
from affect.text import DEFAULT_WEIGHTS_DIR, TextAffect

SOURCES = {
    "tweets": "tweets_GroundTruth.txt",
    "movie_reviews": "movieReviewSnippets_GroundTruth.txt",
    "nyt_editorials": "nytEditorialSnippets_GroundTruth.txt",
    "amazon_reviews": "amazonReviewSnippets_GroundTruth.txt",
}
HOLDOUT = 0.2


def read_ratings(sdist: Path, cap: int) -> dict[str, list[tuple[str, float]]]:
    """{source: [(sentence, mean rating / 4)]}, at most `cap` per source (random, seeded)."""
    with tarfile.open(sdist) as outer:
        member = next(m for m in outer.getmembers() if m.name.endswith("hutto_ICWSM_2014.tar.gz"))
        inner_bytes = outer.extractfile(member).read()  # type: ignore[union-attr]
    data: dict[str, list[tuple[str, float]]] = {}
    with tarfile.open(fileobj=io.BytesIO(inner_bytes)) as inner:
        for name, fname in SOURCES.items():
            m = next(x for x in inner.getmembers() if x.name.endswith(fname))
            rows = []
            for line in inner.extractfile(m).read().decode("utf-8", "replace").splitlines():  # type: ignore[union-attr]
                parts = line.split("\t")
                if len(parts) >= 3:
                    rows.append((parts[2].strip(), float(parts[1]) / 4.0))
            random.Random(0).shuffle(rows)
            data[name] = rows[:cap]
    return data


def embed_sorted(affect: TextAffect, texts: list[str], batch: int = 32) -> np.ndarray:
    """Embed in small batches of similar length (little padding), returned in the input order."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), 384), np.float32)
    for i in range(0, len(order), batch):
        idx = order[i : i + batch]
        out[idx] = affect.embed([texts[j] for j in idx])
    return out


def fit(x: torch.Tensor, y: torch.Tensor, l2: float) -> torch.nn.Linear:
    """min mean (tanh(xW + b) - y)^2 + l2 |W|^2 by L-BFGS."""
    lin = torch.nn.Linear(x.shape[1], 1)
    opt = torch.optim.LBFGS(lin.parameters(), max_iter=300, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = ((torch.tanh(lin(x)).squeeze(1) - y) ** 2).mean() + l2 * (lin.weight**2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return lin


def correlations(pred: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Pearson and Spearman (Pearson of ranks; ratings are means of ~20, ties are rare) and n."""
    def rank(a: np.ndarray) -> np.ndarray:
        return np.argsort(np.argsort(a)).astype(np.float64)

    return {
        "pearson": float(np.corrcoef(pred, y)[0, 1]),
        "spearman": float(np.corrcoef(rank(pred), rank(y))[0, 1]),
        "n": len(y),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sdist", required=True, help="vaderSentiment-3.3.2.tar.gz")
    parser.add_argument("--cap", type=int, default=2500, help="max sentences per source (shipped: 2500)")
    parser.add_argument("--weights", default=str(DEFAULT_WEIGHTS_DIR))
    args = parser.parse_args()
    torch.manual_seed(0)
    data = read_ratings(Path(args.sdist), args.cap)
    torch.set_num_threads(1)  # on a shared CPU, more threads spin-wait
    affect = TextAffect.load(TextAffectConfig(weights_dir=args.weights, num_threads=1))
    splits: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {"train": {}, "test": {}}
    t0 = time.time()
    for name, rows in data.items():
        n_test = int(len(rows) * HOLDOUT)
        for split, part in (("test", rows[:n_test]), ("train", rows[n_test:])):
            emb = embed_sorted(affect, [t for t, _ in part])
            splits[split][name] = (emb, np.array([v for _, v in part], dtype=np.float32))
        print(f"embedded {name}: {len(rows)} sentences ({time.time() - t0:.0f} s)", flush=True)
    xtr = torch.from_numpy(np.concatenate([v[0] for v in splits["train"].values()]))
    ytr = torch.from_numpy(np.concatenate([v[1] for v in splits["train"].values()]))
    # choose the L2 penalty on a validation tenth of the training part (never on the held-out part)
    perm = torch.randperm(len(ytr))
    val, sub = perm[: len(ytr) // 10], perm[len(ytr) // 10 :]
    best = None
    for l2 in (1e-5, 1e-4, 1e-3, 1e-2):
        lin = fit(xtr[sub], ytr[sub], l2)
        with torch.no_grad():
            corr = correlations(torch.tanh(lin(xtr[val])).squeeze(1).numpy(), ytr[val].numpy())["pearson"]
        print(f"  l2={l2:g}: validation pearson {corr:.3f}")
        if best is None or corr > best[1]:
            best = (l2, corr)
    assert best is not None
    lin = fit(xtr, ytr, best[0])
    report: dict[str, dict[str, float]] = {}
    all_pred, all_y = [], []
    for name, (x, y) in splits["test"].items():
        with torch.no_grad():
            pred = torch.tanh(lin(torch.from_numpy(x))).squeeze(1).numpy()
        report[name] = correlations(pred, y)
        all_pred.append(pred)
        all_y.append(y)
    report["all"] = correlations(np.concatenate(all_pred), np.concatenate(all_y))
    for name, r in report.items():
        print(f"held-out {name:15s} pearson {r['pearson']:.3f} spearman {r['spearman']:.3f} (n={r['n']})")
    # write the regressor into the head file
    from safetensors.torch import load_file, save_file

    folder = Path(args.weights)
    tensors = load_file(str(folder / "model.safetensors"))
    tensors["head.valence.weight"] = lin.weight.detach().clone().contiguous()
    tensors["head.valence.bias"] = lin.bias.detach().clone().contiguous()
    save_file(tensors, str(folder / "model.safetensors"))
    cfg = json.loads((folder / "config.json").read_text())
    cfg["has_valence"] = True
    (folder / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    metrics_path = folder / "metrics.json"
    metrics = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    metrics["valence"] = {"l2": best[0], "holdout_fraction": HOLDOUT, "cap_per_source": args.cap, "heldout": report}
    metrics_path.write_text(json.dumps(metrics, indent=2) + "\n")
    write_report(folder)
    print(f"wrote regressor to {folder}/model.safetensors and numbers to metrics.json")


if __name__ == "__main__":
    main()
