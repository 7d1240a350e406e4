"""Small HTML/markdown renderers shared by the student and teacher views.

Every piece of text that came from a student (or from the tutor echoing a student) is passed
through `html.escape` before it enters HTML, so nothing a student types can inject markup into
another page.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from affect.types import AffectEstimate

# KaTeX delimiters for gr.Markdown / gr.Chatbot: the curriculum writes inline maths as $...$.
LATEX_DELIMITERS: list[dict[str, str | bool]] = [
    {"left": "$$", "right": "$$", "display": True},
    {"left": "$", "right": "$", "display": False},
    {"left": "\\(", "right": "\\)", "display": False},
    {"left": "\\[", "right": "\\]", "display": True},
]

# Colours per learner state (colour-blind-safe Okabe-Ito palette).
STATE_COLOURS: dict[str, str] = {
    "engaged": "#009E73",
    "confused": "#E69F00",
    "frustrated": "#D55E00",
    "bored": "#999999",
    "anxious": "#CC79A7",
    "delighted": "#56B4E9",
    "neutral": "#0072B2",
}


def esc(text: Any) -> str:
    """HTML-escape any value (quotes too, so it is safe inside attributes)."""
    return html.escape("" if text is None else str(text), quote=True)


def _bar(fraction: float, colour: str, *, centred: bool = False) -> str:
    fraction = max(0.0, min(1.0, fraction))
    if centred:  # valence: a bar growing left or right from the middle
        left = min(fraction, 0.5) * 100
        width = abs(fraction - 0.5) * 100
        inner = (
            f'<div style="position:absolute;left:{left:.1f}%;width:{width:.1f}%;height:100%;'
            f'background:{colour}"></div>'
        )
        mid = '<div style="position:absolute;left:50%;width:1px;height:100%;background:#555"></div>'
        inner += mid
    else:
        inner = f'<div style="width:{fraction * 100:.1f}%;height:100%;background:{colour}"></div>'
    return (
        '<div style="position:relative;height:8px;background:#e5e7eb;border-radius:4px;overflow:hidden;'
        f'flex:1">{inner}</div>'
    )


def mood_html(estimate: AffectEstimate | None, *, camera_on: bool, face_found: bool = True) -> str:
    """The live mood indicator: state label, confidence, valence and arousal bars."""
    if not camera_on:
        body = '<span class="mood-off">Camera off: mood is read from your messages only.</span>'
        return f'<div class="mood" id="mood-indicator" data-state="off">{body}</div>'
    if estimate is None:
        note = "Looking for your face…" if face_found else "No face in view."
        return f'<div class="mood" id="mood-indicator" data-state="waiting"><span>{esc(note)}</span></div>'
    colour = STATE_COLOURS.get(estimate.label, "#0072B2")
    row = (
        '<div style="display:flex;align-items:center;gap:6px;font-size:12px">'
        '<span style="width:56px">{}</span>{}</div>'
    )
    return (
        f'<div class="mood" id="mood-indicator" data-state="{esc(estimate.label)}">'
        f'<div style="font-weight:600;color:{colour}">Mood: {esc(estimate.label)}'
        f' <span style="font-weight:400;color:#666">'
        f"({estimate.confidence:.0%} sure, {esc(estimate.source)})</span></div>"
        + row.format("valence", _bar((estimate.valence + 1) / 2, colour, centred=True))
        + row.format("arousal", _bar(estimate.arousal, colour))
        + "</div>"
    )


def mastery_html(mastery: Mapping[str, float], threshold: float) -> str:
    """One bar per skill, green once the skill counts as mastered."""
    if not mastery:
        return '<div class="mastery"><em>Mastery appears after the first problem.</em></div>'
    rows = []
    for skill, p in sorted(mastery.items()):
        colour = "#009E73" if p >= threshold else "#0072B2"
        rows.append(
            '<div style="display:flex;align-items:center;gap:8px;font-size:13px">'
            f'<span style="width:46%;overflow:hidden;text-overflow:ellipsis">{esc(skill)}</span>'
            f'{_bar(p, colour)}<span style="width:36px;text-align:right">{p:.0%}</span></div>'
        )
    return '<div class="mastery" id="mastery-bars">' + "".join(rows) + "</div>"


def status_html(text: str, *, busy: bool) -> str:
    """A one-line progress/status note; `busy` adds a spinner so a wait is never silent."""
    if not text:
        return '<div class="status" id="avatar-status"></div>'
    spin = '<span class="spinner"></span>' if busy else ""
    return f'<div class="status" id="avatar-status" data-busy="{str(busy).lower()}">{spin}{esc(text)}</div>'



def problem_markdown(problem: Any | None) -> str:
    """The current problem as markdown (maths in $...$ is rendered by KaTeX)."""
    if problem is None:
        return "### No problem on the table\nPick a topic and press **Start** (or ask for the next one)."
    stars = "★" * int(problem.difficulty) + "☆" * max(0, 3 - int(problem.difficulty))
    return f"### Current problem\n<small>{esc(problem.skill)} · difficulty {stars}</small>\n\n{problem.prompt}"
