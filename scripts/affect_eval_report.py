"""Render affect/weights/text/metrics.json as the human-readable EVAL.md beside it.

Called by scripts/train_text_affect.py and scripts/train_valence.py after they update the
metrics; run it alone to re-render: `.venv/bin/python scripts/affect_eval_report.py`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[1] / "affect" / "weights" / "text"


def _table(report: dict[str, dict[str, float]]) -> list[str]:
    lines = ["| state | precision | recall | F1 | n |", "|---|---|---|---|---|"]
    for k, v in report.items():
        name = f"**{k}**" if k == "macro" else k
        lines.append(f"| {name} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | {v['support']} |")
    return lines


def write_report(folder: Path = DEFAULT) -> Path:
    m = json.loads((folder / "metrics.json").read_text())
    out = ["# Text affect: evaluation report", "",
           "Generated from metrics.json by scripts/affect_eval_report.py. Reproduce the numbers with",
           "`scripts/train_text_affect.py` then `scripts/train_valence.py` (see their docstrings).", ""]
    if "test" in m:
        c = m["corpus"]
        out += ["## Learner states (affect/corpus/student_messages.jsonl)", "",
                f"{c['train']} training and {c['test']} held-out test messages, written for this project as a "
                "tutoring chat of 11-15-year-olds; the test split was written as separate, differently phrased "
                "batches and never used to choose anything. Per state (train, test): "
                + ", ".join(f"{s} {n[0]}+{n[1]}" for s, n in c["per_state"].items()) + ".", "",
                f"Chosen by 5-fold CV on the training split: **{m['chosen']}**, softmax temperature "
                f"{m['temperature']:.2f} (fitted on out-of-fold probabilities).", "",
                "### Held-out test split", "", *_table(m["test"]), "",
                "### 5-fold cross-validation on the training split (out-of-fold predictions)", "",
                *_table(m["cv_train"]), "",
                "### Confusion matrix on the test split (rows: true, columns: predicted)", "",
                "| | " + " | ".join(m["confusion_test"]["labels"]) + " |",
                "|---" * (len(m["confusion_test"]["labels"]) + 1) + "|"]
        for lab, row in zip(m["confusion_test"]["labels"], m["confusion_test"]["rows_true_cols_pred"]):
            out.append(f"| {lab} | " + " | ".join(str(v) for v in row) + " |")
        out += ["", "### Options compared (choice by CV only; test column computed afterwards, for honesty)", "",
                "| option | CV macro-F1 (train) | CV macro-F1, noisy copies | test macro-F1 |", "|---|---|---|---|"]
        for o in m["options"]:
            out.append(f"| {o['option']} | {o['cv_macro_f1']:.3f} | {o.get('cv_noisy_macro_f1', float('nan')):.3f} "
                       f"| {o['test_macro_f1']:.3f} |")
        for note in m.get("notes", []):
            out += ["", note]
        out.append("")
    if "valence" in m:
        v = m["valence"]
        out += ["## Valence (VADER human ratings, Hutto & Gilbert 2014, MIT)", "",
                f"tanh(linear) regressor on the shipped encoder's embeddings, target = mean rating / 4, L2 = "
                f"{v['l2']:g} chosen on a validation tenth of the training part; {v['holdout_fraction']:.0%} of each "
                f"source held out (at most {v['cap_per_source']} sentences per source used).", "",
                "| held-out source | Pearson r | Spearman rho | n |", "|---|---|---|---|"]
        for name, r in v["heldout"].items():
            out.append(f"| {name} | {r['pearson']:.3f} | {r['spearman']:.3f} | {r['n']} |")
        out.append("")
    path = folder / "EVAL.md"
    path.write_text("\n".join(out))
    return path


if __name__ == "__main__":
    print(write_report(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT))
