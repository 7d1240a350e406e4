"""Train the dialogue-act head (tutor/language/acthead.py) and write its eval report.

    PYTHONPATH=. .venv/bin/python scripts/train_dialogue_acts.py              # ~10 min on 2 busy cores
    PYTHONPATH=. .venv/bin/python scripts/train_dialogue_acts.py --eval-only  # re-score the shipped head
                                     # (after a change to the rules), keeping its training record

Protocol (the held-out and fresh files are never used to choose anything):
1. Data: tutor/language/data/acts_train.jsonl and acts_heldout.jsonl (a seeded, stratified 80/20
   split made once by scripts/split_dialogue_acts.py) and acts_fresh.jsonl (written separately,
   in other words, to estimate generalisation to phrasings not seen; see PROVENANCE).
2. Features exactly as at run time: the sentence embedding from the shipped `TextAffect` encoder
   (int8, one message per forward, since dynamic quantisation scales activations per batch) and
   character n-gram TF-IDF of `head_text(message)`. Each training message also gets N_AUG noisy
   copies (scripts/textaug.py: typos, casing, chat spellings, dropped emoji).
3. 5-fold stratified CV on TRAIN only (a message's noisy copies stay in its fold) picks the L2
   strength of each view and the weight of the spelling view, by mean macro-F1 on the clean
   and on noisy copies of the fold's messages.
4. The chosen option is fitted on all of TRAIN and scored ONCE on held-out and fresh (the whole
   `ActReader.read` path: rules, then head), and the report is written.
Writes tutor/language/weights/acts/{config.json, model.safetensors, chargrams.json, metrics.json, EVAL.md}.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, str(Path(__file__).parent))
from split_dialogue_acts import DATA, HELDOUT, TRAIN, read_jsonl
from textaug import augment

from affect import TextAffect
from affect.textprep import CharNgrams
from tutor.language.acthead import DEFAULT_WEIGHTS_DIR, ActHead, ActHeadConfig, head_text
from tutor.language.acts import HEAD_DISTRESS_MIN, ActReader
from tutor.types import DIALOGUE_ACTS

FRESH = DATA / "acts_fresh.jsonl"
N_AUG = 2  # noisy copies per training message
SEED = 11
EMB_C = (1.0, 4.0, 16.0)  # L2 strengths tried for the sentence view
CHAR_C = (1.0, 4.0, 16.0)  # ... and for the spelling view
CHAR_WEIGHTS = (0.3, 0.5, 0.7)  # weight of the spelling view in the average
PROVENANCE = (
    "Provenance, for reading these numbers: the corpus was written in batches. The fresh set was written after "
    "the first ~2,350 messages, without consulting the training file, in other phrasings, and was never trained on. "
    "The last ~330 messages (appended with `split_dialogue_acts.py --append`, so ~20% of them are held-out too) were "
    "written after reading earlier versions of this report's misread lists; no held-out label was ever changed, but "
    "that knowledge of weak spots makes the held-out score somewhat optimistic. An independent set is the real test."
)
NGRAMS = (2, 4)
MAX_FEATURES = 20_000


class Embeddings:
    """(N, 384) embeddings by text, one message per forward (as `TextAffect.read` does), cached."""

    def __init__(self, affect: TextAffect) -> None:
        self.affect = affect
        self.cache: dict[str, np.ndarray] = {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        for t in texts:
            if t not in self.cache:
                self.cache[t] = self.affect.embed([t])[0]
        return np.stack([self.cache[t] for t in texts])


def fit_lr(x: object, y: list[int], c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=3000).fit(x, y)


def vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAMS, sublinear_tf=True, min_df=2,
                           max_features=MAX_FEATURES)  # fmt: skip


def noisy(text: str, index: int, copy: int) -> str:
    """The copy-th noisy variant of training message number `index`: fixed per message, so CV folds
    and the final fit share the same copies (and their embeddings)."""
    return augment(text, random.Random(SEED * 100_003 + int(index) * 101 + copy))


def with_noise(texts: list[str], labels: list[int], idx: list[int]) -> tuple[list[str], list[int]]:
    """Messages idx, each followed by its N_AUG noisy copies."""
    out_t = [texts[i] for i in idx] + [noisy(texts[i], i, j) for j in range(N_AUG) for i in idx]
    return out_t, [labels[i] for i in idx] * (N_AUG + 1)


def cross_validate(texts: list[str], y: list[int], emb: Embeddings) -> tuple[dict[str, float], list[dict]]:
    """Mean CV macro-F1 (clean + noisy) of every option; returns the best option and the table."""
    folds = StratifiedKFold(5, shuffle=True, random_state=SEED).split(texts, y)
    scores: dict[tuple[float, float, float], list[float]] = {}
    for k, (tr, te) in enumerate(folds):
        tr_t, tr_y = with_noise(texts, y, list(tr))
        te_clean = [texts[i] for i in te]
        te_noisy = [noisy(texts[i], i, N_AUG) for i in te]  # a copy no fold trains on
        te_y = np.array([y[i] for i in te])
        vec = vectorizer().fit([head_text(t) for t in tr_t])
        x_char = vec.transform([head_text(t) for t in tr_t])
        x_emb = emb(tr_t)
        views = {}
        for name, ev in (("clean", te_clean), ("noisy", te_noisy)):
            views[name] = (emb(ev), vec.transform([head_text(t) for t in ev]))
        p_emb = {c: {n: fit_lr(x_emb, tr_y, c).predict_proba(v[0]) for n, v in views.items()} for c in EMB_C}
        p_chr = {c: {n: fit_lr(x_char, tr_y, c).predict_proba(v[1]) for n, v in views.items()} for c in CHAR_C}
        for ce, cc, w in itertools.product(EMB_C, CHAR_C, CHAR_WEIGHTS):
            f = [f1_score(te_y, ((1 - w) * p_emb[ce][n] + w * p_chr[cc][n]).argmax(1), average="macro") for n in views]
            scores.setdefault((ce, cc, w), []).append(float(np.mean(f)))
        print(f"fold {k + 1}/5 done", flush=True)
    table = [{"emb_C": ce, "char_C": cc, "char_weight": w, "cv_macro_f1": round(float(np.mean(v)), 4)}
             for (ce, cc, w), v in scores.items()]  # fmt: skip
    best = max(table, key=lambda r: (r["cv_macro_f1"], -r["emb_C"], -r["char_C"]))
    return best, table


def train(texts: list[str], y: list[int], emb: Embeddings, best: dict[str, float]) -> ActHead:
    tr_t, tr_y = with_noise(texts, y, list(range(len(texts))))
    vec = vectorizer().fit([head_text(t) for t in tr_t])
    vocab = sorted(vec.vocabulary_, key=vec.vocabulary_.__getitem__)
    chars = CharNgrams(vocab, [round(float(x), 6) for x in vec.idf_], NGRAMS)
    x_char = vec.transform([head_text(t) for t in tr_t])
    lr_e = fit_lr(emb(tr_t), tr_y, best["emb_C"])
    lr_c = fit_lr(x_char, tr_y, best["char_C"])
    cfg = ActHeadConfig(
        char_vocab_size=len(vocab), ngram_range=NGRAMS, char_weight=best["char_weight"],
        trained={"script": "scripts/train_dialogue_acts.py", "train_messages": len(texts),
                 "train_rows_with_augmentation": len(tr_t), "option": best},
    )  # fmt: skip
    tensors = {"emb.weight": lr_e.coef_, "emb.bias": lr_e.intercept_,
               "char.weight": lr_c.coef_, "char.bias": lr_c.intercept_}  # fmt: skip
    return ActHead(cfg, {k: np.asarray(v, dtype=np.float32) for k, v in tensors.items()}, chars)


def evaluate(reader: ActReader, rows: list[dict[str, str]], emb: Embeddings) -> dict:
    """Scores of the whole reading path (rules + head, no context) on labelled rows."""
    truth = [r["act"] for r in rows]
    pred = [reader.read(r["text"], vector=emb([r["text"]])[0]).act for r in rows]
    p, r, f, n = precision_recall_fscore_support(truth, pred, labels=list(DIALOGUE_ACTS), zero_division=0)
    cm = confusion_matrix(truth, pred, labels=list(DIALOGUE_ACTS))
    pairs = [(DIALOGUE_ACTS[i], DIALOGUE_ACTS[j], int(cm[i, j])) for i in range(len(DIALOGUE_ACTS))
             for j in range(len(DIALOGUE_ACTS)) if i != j and cm[i, j]]  # fmt: skip
    errors = [(row["text"], row["act"], p_) for row, p_ in zip(rows, pred) if p_ != row["act"]]
    return {
        "n": len(rows), "macro_f1": round(float(np.mean(f)), 4),
        "per_act": {a: {"precision": round(float(p[i]), 3), "recall": round(float(r[i]), 3),
                        "f1": round(float(f[i]), 3), "n": int(n[i])} for i, a in enumerate(DIALOGUE_ACTS)},
        "confusions": sorted(pairs, key=lambda x: -x[2]), "errors": errors,
    }  # fmt: skip


def write_report(path: Path, metrics: dict) -> None:
    lines = ["# Dialogue-act head: evaluation", "",
             "Reproduce: `PYTHONPATH=. .venv/bin/python scripts/train_dialogue_acts.py` (writes this file and the "
             "weights beside it). Scores are of `ActReader.read` without context (rules, then the head).", "",
             f"Training: {metrics['train_messages']} hand-written messages (+{N_AUG} noisy copies each). "
             f"Option chosen by 5-fold CV on train only: {metrics['option']}.", "",
             "Reading path scored: distress rules (tutor/language/safety.py), a message that is a number -> answer, "
             "emoji only -> feeling, then the head (a head-only distress needs p >= "
             f"{HEAD_DISTRESS_MIN}). Replies to the tutor's own questions (context) are not part of these "
             "scores; tests/test_tutor_acts.py covers them.", "", PROVENANCE, ""]  # fmt: skip
    sets = [k for k in ("heldout", "fresh") if k in metrics]
    lines += ["| set | messages | macro-F1 |", "|---|---|---|"]
    lines += [f"| {k} | {metrics[k]['n']} | {metrics[k]['macro_f1']:.3f} |" for k in sets]
    lines += ["", "## Per act (P / R / F1)", "", "| act | " + " | ".join(sets) + " |", "|---|" + "---|" * len(sets)]
    for a in DIALOGUE_ACTS:
        per = [metrics[k]["per_act"][a] for k in sets]
        cells = [f"{m['precision']:.2f} / {m['recall']:.2f} / {m['f1']:.2f}" for m in per]
        lines.append(f"| {a} | " + " | ".join(cells) + " |")
    for k in sets:
        lines += ["", f"## Confusions on {k} (true -> predicted: count)", ""]
        lines += [f"- {t} -> {p}: {c}" for t, p, c in metrics[k]["confusions"]] or ["- none"]
        lines += ["", f"Misread {k} messages:", ""]
        lines += [f"- `{t}` ({a} -> {p})" for t, a, p in metrics[k]["errors"]] or ["- none"]
    lines += ["", "## Cross-validation (train only)", ""]
    lines += ["| emb C | char C | char weight | CV macro-F1 |", "|---|---|---|---|"]
    lines += [f"| {r['emb_C']} | {r['char_C']} | {r['char_weight']} | {r['cv_macro_f1']:.4f} |" for r in metrics["cv"]]
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_WEIGHTS_DIR)
    ap.add_argument("--eval-only", action="store_true", help="re-score the head in --out without training")
    args = ap.parse_args()
    t0 = time.time()
    train_rows, held_rows, fresh_rows = read_jsonl(TRAIN), read_jsonl(HELDOUT), read_jsonl(FRESH)
    texts, y = [r["text"] for r in train_rows], [DIALOGUE_ACTS.index(r["act"]) for r in train_rows]
    affect = TextAffect.load()
    cache = Embeddings(affect)
    if args.eval_only:
        old = json.loads((args.out / "metrics.json").read_text())
        metrics: dict = {k: old[k] for k in ("train_messages", "option", "cv")}
    else:
        best, table = cross_validate(texts, y, cache)
        print(f"best option {best}", flush=True)
        train(texts, y, cache, best).save(args.out)
        metrics = {"train_messages": len(texts), "option": best, "cv": table}
    reader = ActReader(ActHead.load(args.out), affect.embed)  # evaluate exactly what ships
    metrics["heldout"] = evaluate(reader, held_rows, cache)
    if fresh_rows:
        metrics["fresh"] = evaluate(reader, fresh_rows, cache)
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=1, ensure_ascii=False) + "\n")
    write_report(args.out / "EVAL.md", metrics)
    for k in ("heldout", "fresh"):
        if k in metrics:
            print(f"{k}: macro-F1 {metrics[k]['macro_f1']:.3f} on {metrics[k]['n']}")
    print(f"done in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
