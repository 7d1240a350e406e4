"""Spotting distress and self-harm language in a student's message, misspelt or not.

A tutor that talks to children must never miss a clear statement of self-harm, suicidal
thoughts or abuse: the reply points to a trusted adult and a flag goes to the teacher (the
safeguarding duty set out in, e.g., the UK DfE "Keeping children safe in education" guidance).
Rules carry the guarantee: tokens are normalised (case, repeated letters, leetspeak, common
misspellings and slang, and a small Damerau edit distance for long key words) and then matched
against phrase patterns. The trained dialogue-act head (`tutor.language.acts`) adds recall for
phrasings the rules do not know; it can only add flags. `wellbeing_rule` spots sadness,
loneliness and bullying: care first and a lower-level note for the teacher (issue 11).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

# Explicit spellings seen in student chat for the short key words, where edit distance would
# also match ordinary words ("kill" ~ "bill", "die" ~ "did").
_ALIASES: dict[str, str] = {
    "kil": "kill", "kll": "kill", "klil": "kill", "kiil": "kill", "kilk": "kill", "kiling": "killing",
    "killin": "killing", "kilin": "killing", "kiled": "killed", "unalive": "unalive",
    "dye": "die", "dy": "die", "diee": "die", "ded": "dead", "deead": "dead",
    "wanna": "want to", "wana": "want to", "wnat": "want", "watn": "want", "wan": "want",
    "wnt": "want", "wnna": "want to",
    "dnt": "dont", "dont't": "dont", "didnt": "didnt", "whant": "want",
    "gonna": "going to", "gona": "going to", "dont": "dont", "don't": "dont", "doesnt": "doesnt",
    "im": "i am", "i'm": "i am", "ive": "i have", "i've": "i have", "id": "i would", "i'd": "i would",
    "myslef": "myself", "mysefl": "myself", "meself": "myself", "miself": "myself", "mysellf": "myself",
    "sewerslide": "suicide", "suicde": "suicide", "sucide": "suicide", "suiside": "suicide", "suicid": "suicide",
    "iwant": "i want", "iwanna": "i want to", "ima": "i am going to", "imma": "i am going to",
    "can't": "cant", "cannot": "cant", "2": "to", "b": "be", "kms.": "kms",
    "slf": "self", "slef": "self", "lyf": "life", "lif": "life", "liv": "live", "alife": "alive",
    "hurting": "hurting", "hert": "hurt", "hurtt": "hurt", "harmin": "harming", "cuttin": "cutting",
    "nobody": "nobody", "noone": "no one", "evry1": "everyone", "ppl": "people", "u": "you", "ur": "your",
}  # fmt: skip
# Long key words matched with a small edit distance (length >= 6 keeps ordinary words out).
_FUZZY_TARGETS: dict[str, int] = {
    "myself": 1, "suicide": 2, "suicidal": 2, "overdose": 2, "yourself": 1, "hopeless": 1,
    "worthless": 2, "disappear": 2, "killing": 1, "harming": 1, "cutting": 1, "bullied": 1,
}  # fmt: skip
_FUZZY_EXCLUDE = {"himself", "itself", "herself", "billing", "filling", "willing", "milling", "putting",
                  "getting", "setting", "sitting", "farming", "warming", "charming", "cuttings"}  # fmt: skip
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})

_SELF = r"(?:myself|my self)"  # not "me": "this problem is killing me" is a figure of speech
# Short canonical words a repeated-letter spelling collapses onto ("diiie" -> "die").
_CANON = {"die", "dead", "kill", "kms", "kys", "self", "life", "live", "want", "hurt", "harm", "cut", "end"}
_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        rf"\b(?:kill|killing|killed|hurt|hurting|harm|harming|cut|cutting|hang|hanging|shoot|stab|starve|"
        rf"unalive|end|ending|drown|poison|burn|burning|scratch|scratching) {_SELF}\b",
        r"\b(?:want|wish|need) (?:\w+ ){0,2}(?:to )?kill me\b",
        r"\b(?:kms|kys|unalive|suicide|suicidal|overdose|overdosing)\b",
        r"\bself ?harm",
        r"\bselfharm",
        r"\b(?:want|wanted|wanting|going|wish|ready|like|need|deserve|deserved|prefer) (?:to )?"
        r"(?:die|be dead|end it|not exist|not be alive|not wake up|disappear forever|not be here)\b",
        r"\bwish (?:that )?i (?:was|were|am|could be) (?:dead|never born|gone|not alive)\b",
        r"\b(?:better off|be better) (?:dead|without me|if i was gone|if i were gone)\b",
        r"\b(?:end|take|ending|taking) (?:my|my own) life\b",
        r"\bend(?:ing)? it all\b",
        r"\b(?:dont|do not|never) (?:really )?want to (?:live|be alive|exist|be here anymore|wake up)\b",
        r"\bno (?:reason|point) (?:for me )?(?:to|in) (?:live|living|be alive|being alive|going on)\b",
        r"\b(?:life is )?not worth living\b",
        r"\blife (?:isnt|isn't|aint|ain't|is not) worth (?:it|living)\b",
        r"\b(?:nobody|no one|noone) would (?:even )?(?:miss|care about|notice) me\b",
        r"\bhate (?:myself|my self|my life|being alive)\b",
        r"\b(?:dad|father|mum|mom|mother|stepdad|stepmum|stepmom|brother|sister|uncle|aunt|teacher|coach|"
        r"someone|somebody|he|she|they|parent|parents|boyfriend|girlfriend|grandpa|grandad|adult|man|woman|guy|"
        r"neighbour|neighbor|cousin|babysitter|carer) (?:\w+ ){0,3}"
        r"(?:hits|beats|hurts|kicks|punches|chokes|touches|touched|abuses|abused|hit|beat|hurt) me\b",
        r"\b(?:abuse|abused|abusing|molested|molests)\b",
        r"\b(?:not safe|unsafe|scared to go|afraid to go|scared to be) (?:at )?home\b",
        r"\b(?:everyone|everybody|people|they|my family) would be (?:better|happier)(?: off)? (?:if i|without me)",
        r"\b(?:dont|do not|cant|can not) see (?:the|any) (?:point|reason) (?:in|of|to) (?:anything|living|life|"
        r"going on|being alive|being here)",
        r"\bgiv(?:e|ing) up on (?:life|living|myself|everything)\b",
        r"\b(?:thinking|think) (?:about|of) (?:not being (?:here|around|alive)|dying|death|ending it)\b",
        r"\bwant (?:it all|everything|my life) to (?:stop|end)(?: forever)?\b",
        r"\b(?:stop|quit) (?:existing|living|being alive)\b",
        r"\b(?:sleep|go to sleep) and (?:never|not) wake up\b",
        r"\b(?:no one|nobody|noone) (?:cares|loves me|would care)\b",
        # added after the dialogue-act corpus (issue 11): phrasings the rules above missed
        r"\b(?:not|never) going to be (?:around|here|alive) (?:much longer|for long|anymore|tomorrow)\b",
        r"\b(?:wont|won't|will not) be (?:around|here|alive) (?:much longer|for long|anymore|tomorrow)\b",
        r"\b(?:could|can|would) (?:just )?(?:not exist|stop existing|disappear forever)\b",
        r"\bhurt me if i tell\b",
        r"\b(?:told|tells|tell|said) me not to tell\b",
        r"\b(?:touching|touches|touched) me\b",
        r"\b(?:started|start|been|keep|kept|am) (?:cutting|self harming|burning|scratching)\b",
        r"\bcutting again\b",
        r"\bbruises? (?:from|because of) (?:my|him|her|them)\b",
        r"\b(?:too many|a lot of|a load of|loads of|all the|saved up|saving up|save up) (?:pills|tablets)\b",
        r"\b(?:pills|tablets) (?:saved|on purpose|to die)\b",
        r"\b(?:pain|it all|everything) to (?:stop|end) forever\b",
        r"\bjump (?:off|from) (?:a|the) (?:bridge|building|roof|cliff|window)\b",
        r"\bfeel like dying\b",
        r"\b(?:should|deserve to|ought to) (?:just )?die\b",
        r"\bgoodbye (?:note|letter|forever)\b",
        r"\brather (?:be )?dead\b",
        r"\b(?:till|until) i bleed\b",
        r"\b(?:not safe|unsafe) (?:at|in) (?:my )?(?:home|house)\b",
        r"\bif i (?:died|die|was dead|were dead|was gone|were gone|killed myself|disappeared)\b",
        r"\bcant (?:go on|take it anymore|do this anymore|cope)\b(?!.*\b(?:problem|question|sum|math|maths)\b)",
    )
)


def normalise_words(text: str) -> str:
    """Lower-case words with leetspeak, repeated letters, aliases and fuzzy key words canonicalised."""
    s = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    tokens = []
    for raw in re.findall(r"[\w'@$!]+", s):
        raw = raw.strip("'!")  # before leetspeak, so "self!!!" does not become "selfiii"
        word = raw if raw.isdigit() else raw.translate(_LEET)
        word = re.sub(r"(.)\1{2,}", r"\1\1", word)  # "soooo" -> "soo", "kiiill" -> "kiill"
        collapsed = re.sub(r"(.)\1+", r"\1", word)
        word = _ALIASES.get(word) or _ALIASES.get(collapsed) or (collapsed if collapsed in _CANON else _fuzzy(word))
        if word:
            tokens.append(word)
    joined = " ".join(tokens)
    return re.sub(r"\bmy self\b", "myself", joined)


def _fuzzy(word: str) -> str:
    if len(word) < 6 or word in _FUZZY_EXCLUDE:
        return word
    for target, max_dist in _FUZZY_TARGETS.items():
        if abs(len(word) - len(target)) <= max_dist and _osa_distance(word, target) <= max_dist:
            return target
    return word


def _osa_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment): a swap of neighbours costs one edit."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


# Sadness, loneliness and bullying (issue 11): care first and a *wellbeing* note for the teacher,
# a lower level than distress and shown apart from it.
_WELLBEING: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        r"\b(?:being|getting|get|got|was|been|am|keep getting) (?:\w+ )?(?:bullied|picked on|beaten up)\b",
        r"\b(?:bully|bullies|bullying) (?:me|at school|in class)\b",
        r"\b(?:nobody|no one|noone|people|everyone|they|kids|my friends|the others) (?:\w+ ){0,2}"
        r"(?:likes? me|laughs? at me|laughed at me|make fun of me|made fun of me|picks? on me|ignores? me|"
        r"ignored me|hates? me|left me out|leave me out|calls? me names|called me names|was mean to me|"
        r"were mean to me|are mean to me|is mean to me)\b",
        r"\bi (?:have|got) no (?:friends|one to talk to)\b",
        r"\bi am (?:so |really |very |always |a bit |just )?(?:lonely|alone|sad|miserable|depressed|heartbroken)\b",
        r"\bi (?:feel|felt) (?:so |really |very |a bit |really really )?(?:lonely|alone|left out|sad|down|"
        r"miserable|depressed|unloved|like crying|like nobody)\b",
        r"\b(?:want to|wanna|going to|about to|gonna) cry\b",
        r"\bi (?:am|keep) crying\b",
        r"\b(?:died|passed away)\b",
        r"\bmiss my (?:mum|mom|dad|grandma|grandpa|nan|granny|grandad|friend|dog|cat)\b",
        r"\b(?:divorce|divorced|split up|splitting up)\b",
    )
)


def _first_match(patterns: Sequence[re.Pattern[str]], text: str) -> str | None:
    """The phrase the first matching pattern finds in the normalised text (its first 5,000 characters), or None."""
    words = normalise_words(text[:5000])
    for pattern in patterns:
        m = pattern.search(words)
        if m:
            return m.group(0)
    return None


def wellbeing_rule(text: str) -> str | None:
    """The matched phrase when the text tells of sadness, loneliness or bullying (not distress)."""
    return _first_match(_WELLBEING, text)


def distress_rule(text: str) -> str | None:
    """The matched phrase when the text states distress, self-harm, suicidal thoughts or abuse."""
    return _first_match(_PATTERNS, text)
