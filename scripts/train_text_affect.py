"""Train the text-affect head on the project's student-message corpus and write the eval report.

    .venv/bin/python scripts/train_text_affect.py --augment --fp32   # the shipped run (~25 min on 2 busy cores)
    .venv/bin/python scripts/train_text_affect.py                    # faster: no augmentation / fp32 rows
    .venv/bin/python scripts/train_valence.py --sdist ...    # then add the valence regressor (see that script)

Protocol (the held-out split is never used to choose anything):
1. `affect/corpus/student_messages.jsonl` has a fixed `split` column. The test messages were
   written as separate, differently phrased batches (not sampled from the same lists), so
   near-paraphrases cannot straddle the split.
2. Options are compared by 5-fold stratified cross-validation on the TRAIN split only: with/
   without surface cues, with/without typo/case/emoji augmentation, the L2 strength C, and int8
   vs fp32 encoder. Augmented copies of a message always stay in its fold. Each fold is scored on
   its clean messages and on one noisy copy of each (other seed), since students' typing is noisy.
3. The int8 option with the best mean of clean and noisy CV macro-F1 (ties: the simpler one)
   is trained on all of TRAIN, its
   softmax temperature fitted on the out-of-fold probabilities, and evaluated ONCE on TEST:
   per-class precision/recall/F1 and macro-F1. For honesty the table also lists every option's
   test score, computed after the choice.
4. Writes affect/weights/text/{config.json, model.safetensors, metrics.json, EVAL.md}.

The encoder is frozen (fine-tuning its top layers was tried but could not be cross-validated
within this machine's CPU budget; see EVAL.md). Features are computed one message at a time,
exactly as predict() does, because int8 dynamic quantisation scales activations per batch.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, str(Path(__file__).parent))
from affect_eval_report import write_report
from textaug import augment

from affect.config import TextAffectConfig
from affect.text import DEFAULT_WEIGHTS_DIR, TextAffect, TextHead, TextHeadConfig, load_encoder
from affect.textprep import CharNgrams, clean, mark_negation, surface_features
from affect.types import LEARNER_STATES

CORPUS = Path(__file__).resolve().parents[1] / "affect" / "corpus" / "student_messages.jsonl"
N_AUG = 2  # noisy variants per training message
C_GRID = (4.0, 16.0)
CHAR_NGRAMS = (2, 4)  # char_wb n-grams; (1,5) and (2,5) scored the same in a CV trial
CHAR_MAX_FEATURES = 20_000
CHAR_C = 4.0
NEGATION_SCOPE = 4  # words after a negator the char n-gram view marks (affect/textprep.py mark_negation)
NOTES = [
    "Not compared here: fine-tuning MiniLM's top 2 layers (int8 lower layers cached, fp32 top layers trained "
    "with the augmented set). A 5-fold run did not finish one fold in 15 minutes on this shared 2-core machine "
    "(load average ~10), so it could not be cross-validated in the time available; the frozen encoder ships.",
    "Per-channel int8 quantisation (affect/text.py quantize_encoder) is what makes int8 hold accuracy: the "
    "default per-tensor scheme cost ~2 points of CV macro-F1 in an earlier trial.",
    "The char n-gram view reads negation scopes marked (affect/textprep.py mark_negation, up to NEGATION_SCOPE "
    "words after a negator become not_<word>; TextHeadConfig.negation_scope): without it 'i'm not great at "
    "fractions' read as delighted, and 167 contrastive corpus messages alone moved the misread to 'i'm good at "
    "fractions' (anxious 0.96).",
]
FOLDS = 5


@dataclass(frozen=True)
class Option:
    quantize: bool
    surface: bool
    augment: bool
    c: float
    chars: bool = False  # average with a char n-gram TF-IDF logistic regression

    @property
    def name(self) -> str:
        return (f"{'int8' if self.quantize else 'fp32'} encoder, {'+' if self.surface else '-'}surface, "
                f"{'+' if self.augment else '-'}augment, C={self.c:g}" + (", + char n-grams" if self.chars else ""))


def load_corpus() -> tuple[list[dict], list[dict]]:
    rows = [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]
    return [r for r in rows if r["split"] == "train"], [r for r in rows if r["split"] == "test"]


class Featuriser:
    """Embeds texts with one encoder variant, caching each distinct text once."""

    def __init__(self, quantize: bool) -> None:
        tok, enc = load_encoder(None, quantize=quantize)
        head = TextHead(TextHeadConfig())
        cfg = TextAffectConfig(quantize=quantize, num_threads=1)
        self.affect = TextAffect(cfg, tok, enc, head)
        self.cache: dict[str, np.ndarray] = {}

    def __call__(self, texts: list[str], surface: bool) -> np.ndarray:
        todo = sorted({t for t in texts if t not in self.cache})
        for t in todo:  # one at a time, as in predict(): int8 activation scales depend on the batch
            self.cache[t] = self.affect.embed([t])[0]
        emb = np.stack([self.cache[t] for t in texts])
        if not surface:
            return emb
        surf = np.stack([surface_features(clean(t, 2000)) for t in texts])
        return np.hstack([emb, surf])


def expand(rows: list[dict], n_aug: int, seed: int = 0) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts (originals first in each group, then variants), labels, and group ids."""
    rng = random.Random(seed)
    texts, labels, groups = [], [], []
    for g, r in enumerate(rows):
        variants = [r["text"]] + [augment(r["text"], rng) for _ in range(n_aug)]
        for v in dict.fromkeys(variants):  # drop identical variants
            texts.append(v)
            labels.append(LEARNER_STATES.index(r["label"]))
            groups.append(g)
    return texts, np.array(labels), np.array(groups)


def fit(x: np.ndarray, y: np.ndarray, c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=5000).fit(x, y)


def cleaned(texts: list[str]) -> list[str]:
    """What the char n-gram view reads, as TextAffect does (text_onnx.py inputs): cleaned, negation scopes marked."""
    return [mark_negation(clean(t, 2000), NEGATION_SCOPE) for t in texts]


@dataclass
class Trained:
    """One option fitted on some messages: the embedding LR and, optionally, the char n-gram LR."""

    opt: Option
    feats: Featuriser
    emb_clf: LogisticRegression
    vec: TfidfVectorizer | None = None
    char_clf: LogisticRegression | None = None

    def proba(self, texts: list[str]) -> np.ndarray:
        p = self.emb_clf.predict_proba(self.feats(texts, self.opt.surface))
        if self.vec is not None and self.char_clf is not None:
            p = (p + self.char_clf.predict_proba(self.vec.transform(cleaned(texts)))) / 2
        return p


def train_option(opt: Option, feats: Featuriser, texts: list[str], y: np.ndarray) -> Trained:
    model = Trained(opt, feats, fit(feats(texts, opt.surface), y, opt.c))
    if opt.chars:
        model.vec = TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, max_features=CHAR_MAX_FEATURES,
                                    sublinear_tf=True, min_df=2)
        model.char_clf = fit(model.vec.fit_transform(cleaned(texts)), y, CHAR_C)
    return model


def noisy_copies(rows: list[dict]) -> list[str]:
    """One noisy variant per message with a different seed from training augmentation (robustness check)."""
    rng = random.Random(12345)
    return [augment(r["text"], rng) for r in rows]


def cross_validate(opt: Option, feats: Featuriser, rows: list[dict]) -> tuple[float, float, np.ndarray, np.ndarray]:
    """Mean macro-F1 over folds on the clean and on noisy (typo/case/emoji-dropped) validation messages,
    plus out-of-fold probabilities (clean) and labels of the original messages."""
    texts, y, groups = expand(rows, N_AUG if opt.augment else 0)
    noisy = noisy_copies(rows)
    y_orig = np.array([LEARNER_STATES.index(r["label"]) for r in rows])
    oof = np.zeros((len(rows), len(LEARNER_STATES)))
    scores, noisy_scores = [], []
    for tr_g, va_g in StratifiedKFold(FOLDS, shuffle=True, random_state=0).split(np.zeros(len(rows)), y_orig):
        tr_idx = np.flatnonzero(np.isin(groups, tr_g))
        model = train_option(opt, feats, [texts[i] for i in tr_idx], y[tr_idx])
        proba = model.proba([rows[i]["text"] for i in va_g])
        oof[va_g] = proba
        scores.append(f1_score(y_orig[va_g], proba.argmax(1), average="macro"))
        noisy_scores.append(f1_score(y_orig[va_g], model.proba([noisy[i] for i in va_g]).argmax(1), average="macro"))
    return float(np.mean(scores)), float(np.mean(noisy_scores)), oof, y_orig


def fit_temperature(proba: np.ndarray, y: np.ndarray) -> float:
    """Temperature T minimising the NLL of softmax(log p / T) on out-of-fold probabilities."""
    logp = np.log(np.clip(proba, 1e-12, 1))
    best = (1.0, np.inf)
    for t in np.linspace(0.3, 3.0, 55):
        z = logp / t
        z = z - z.max(1, keepdims=True)
        nll = -(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(1))).mean()
        if nll < best[1]:
            best = (float(t), float(nll))
    return best[0]


def per_class(y: np.ndarray, pred: np.ndarray) -> dict[str, dict[str, float]]:
    p, r, f, s = precision_recall_fscore_support(y, pred, labels=range(len(LEARNER_STATES)), zero_division=0)
    out = {lab: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
           for i, lab in enumerate(LEARNER_STATES)}
    out["macro"] = {"precision": float(p.mean()), "recall": float(r.mean()), "f1": float(f.mean()),
                    "support": int(s.sum())}
    return out


def table(report: dict[str, dict[str, float]]) -> str:
    lines = ["| state | precision | recall | F1 | n |", "|---|---|---|---|---|"]
    for k, v in report.items():
        lines.append(f"| {k} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | {v['support']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(DEFAULT_WEIGHTS_DIR))
    parser.add_argument("--quick", action="store_true", help="fewer options (smoke run)")
    parser.add_argument("--augment", action="store_true", help="also compare training with noisy copies (slow)")
    parser.add_argument("--fp32", action="store_true", help="also compare the fp32 encoder (slow)")
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)  # on a shared CPU, more threads spin-wait (measured 15x more CPU per message)
    t0 = time.time()
    train, test = load_corpus()
    print(f"corpus: {len(train)} train, {len(test)} test messages")
    featurisers = {q: Featuriser(q) for q in ((True, False) if args.fp32 else (True,))}
    augments = (False, True) if args.augment else (False,)
    options = [Option(True, s, a, c) for s in (False, True) for a in augments for c in C_GRID]
    options += [Option(True, True, a, C_GRID[0], chars=True) for a in augments]
    if args.fp32:  # does int8 hold accuracy? the same setting with the fp32 encoder
        options += [Option(False, True, False, C_GRID[0])]
    if args.quick:
        options = [o for o in options if o.surface and o.c == C_GRID[0]]
    results = []
    for opt in options:
        cv, cv_noisy, oof, y_oof = cross_validate(opt, featurisers[opt.quantize], train)
        results.append((opt, cv, cv_noisy, oof, y_oof))
        print(f"CV macro-F1 {cv:.3f} (noisy {cv_noisy:.3f})  {opt.name}  ({time.time() - t0:.0f} s)", flush=True)

    # Choose on CV only: the mean of clean and noisy CV macro-F1 (real students' typing is noisy),
    # among int8 options (the shipped speed setting); ties within 0.002 go to fewer parts.
    def key(r: tuple) -> tuple:
        o = r[0]
        return (o.quantize, round((r[1] + r[2]) / 2 / 0.002), -int(o.augment) - int(o.surface))

    best_opt, best_cv, best_noisy, oof, y_oof = max(results, key=key)
    print(f"chosen by CV: {best_opt.name} (CV macro-F1 {best_cv:.3f}, noisy {best_noisy:.3f})")
    feats = featurisers[best_opt.quantize]
    y_test = np.array([LEARNER_STATES.index(r["label"]) for r in test])
    test_texts = [r["text"] for r in test]
    test_scores: dict[Option, float] = {}
    for opt, *_ in results:  # reported after the choice, for the comparison table only
        texts, y, _ = expand(train, N_AUG if opt.augment else 0)
        model = train_option(opt, featurisers[opt.quantize], texts, y)
        test_scores[opt] = f1_score(y_test, model.proba(test_texts).argmax(1), average="macro")
    texts, y, _ = expand(train, N_AUG if best_opt.augment else 0)
    final = train_option(best_opt, feats, texts, y)
    temperature = fit_temperature(oof, y_oof)
    # the shipped head: torch Linears holding the logistic regressions (surface weights zero if unused)
    n_surf = len(TextHeadConfig().surface_features)
    weight = np.zeros((len(LEARNER_STATES), 384 + n_surf), np.float32)
    weight[:, : final.emb_clf.coef_.shape[1]] = final.emb_clf.coef_
    chars = None
    if final.vec is not None and final.char_clf is not None:
        vocab = sorted(final.vec.vocabulary_, key=final.vec.vocabulary_.__getitem__)
        chars = CharNgrams(vocab, final.vec.idf_.tolist(), CHAR_NGRAMS)
        ref = final.vec.transform(cleaned(test_texts)).toarray()
        for k, t in enumerate(cleaned(test_texts)):  # our re-implementation must equal scikit-learn's
            idx, val = chars.transform_one(t)
            row = np.zeros(len(vocab), np.float32)
            row[idx] = val
            assert np.allclose(row, ref[k], atol=1e-5), t
    head_cfg = TextHeadConfig(
        temperature=temperature,
        negation_scope=NEGATION_SCOPE,
        char_vocab_size=0 if chars is None else len(chars.vocab),
        trained={
            "script": "scripts/train_text_affect.py",
            "option": best_opt.name,
            "train_messages": len(train),
            "train_rows_with_augmentation": len(texts),
            "cv_macro_f1": round(best_cv, 4),
            "cv_noisy_macro_f1": round(best_noisy, 4),
        },
    )
    head = TextHead(head_cfg)
    with torch.no_grad():
        head.classifier.weight.copy_(torch.from_numpy(weight))
        head.classifier.bias.copy_(torch.from_numpy(final.emb_clf.intercept_.astype(np.float32)))
        head.valence.weight.zero_()
        head.valence.bias.zero_()
        if head.char_classifier is not None and final.char_clf is not None:
            head.char_classifier.weight.copy_(torch.from_numpy(final.char_clf.coef_.astype(np.float32)))
            head.char_classifier.bias.copy_(torch.from_numpy(final.char_clf.intercept_.astype(np.float32)))
    cfg = TextAffectConfig(weights_dir=args.out, quantize=best_opt.quantize)
    shipped = TextAffect(cfg, feats.affect.tokenizer, feats.affect.encoder, head, chars)
    shipped.save_head(args.out)
    # evaluate exactly what ships: reload from disk through the public API
    reloaded = TextAffect.load(TextAffectConfig(weights_dir=args.out, quantize=best_opt.quantize))
    pred = reloaded.state_probs([r["text"] for r in test]).argmax(1)
    test_report = per_class(y_test, pred)
    cv_report = per_class(y_oof, oof.argmax(1))
    cm = confusion_matrix(y_test, pred, labels=range(len(LEARNER_STATES)))
    metrics = {
        "corpus": {"train": len(train), "test": len(test),
                   "per_state": {s: [sum(r["label"] == s for r in train), sum(r["label"] == s for r in test)]
                                 for s in LEARNER_STATES}},
        "chosen": best_opt.name,
        "temperature": temperature,
        "cv_train": cv_report,
        "test": test_report,
        "confusion_test": {"labels": list(LEARNER_STATES), "rows_true_cols_pred": cm.tolist()},
        "notes": NOTES,
        "options": [{"option": o.name, "cv_macro_f1": round(cv, 4), "cv_noisy_macro_f1": round(cvn, 4),
                     "test_macro_f1": round(test_scores[o], 4)} for o, cv, cvn, *_ in results],
    }
    out = Path(args.out)
    old = json.loads((out / "metrics.json").read_text()) if (out / "metrics.json").is_file() else {}
    if "valence" in old:
        metrics["valence"] = old["valence"]
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    write_report(out)
    print(f"\nheld-out TEST (n={len(test)}), chosen option:\n{table(test_report)}")
    print(f"\n5-fold CV on TRAIN (out-of-fold, n={len(train)}):\n{table(cv_report)}")
    print(f"\nwrote {out}/config.json, model.safetensors, metrics.json ({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
