"""The dialogue's parts without models: the phrasebook (data, validation, no repeats) and the dispatch table."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import numpy as np
import pytest

from tutor.conversation.phrases import PHRASES_PATH, Phrasebook, PhrasebookError
from tutor.conversation.respond import HANDLERS
from tutor.conversation.similarity import SimilarityIndex
from tutor.conversation.turn import PENDING
from tutor.types import DIALOGUE_ACTS


def test_every_act_has_a_handler_and_pending_answers_are_acts() -> None:
    assert set(HANDLERS) | {"stop"} == set(DIALOGUE_ACTS)
    assert all(yes in DIALOGUE_ACTS and no in DIALOGUE_ACTS for yes, no in PENDING.values())


def test_phrasebook_never_repeats_a_phrasing_twice_in_a_row() -> None:
    book = Phrasebook.load().fork(random.Random(0))
    picks = [book.pick("skip") for _ in range(30)]
    assert all(a != b for a, b in itertools.pairwise(picks))
    assert book.meta["camera"].answer and book.name == "Max"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["phrases"].pop("abuse"), "lack the keys"),
        (lambda d: d["feelings"].pop("bored"), "learner states"),
        (lambda d: d["meta"]["camera"].update(answer=""), r"meta\.camera"),
        (lambda d: d["phrases"].update(skip=[]), r"phrases\.skip"),
        (lambda d: d["persona"].update(name=" "), "persona.name"),
    ],
)
def test_bad_phrasebook_is_refused_naming_the_entry(tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(PHRASES_PATH.read_text())
    edit(data)
    path = tmp_path / "phrases.json"
    path.write_text(json.dumps(data))
    with pytest.raises(PhrasebookError, match=message):
        Phrasebook.load(path)


def test_similarity_index_needs_examples_and_an_embedding() -> None:
    with pytest.raises(ValueError, match="at least one"):
        SimilarityIndex([], lambda texts: np.zeros((0, 3)))
    index = SimilarityIndex([("a", "x"), ("b", "y")], lambda texts: np.eye(2, dtype=np.float32))
    assert index.best(None) is None
    best = index.best(np.array([0.0, 1.0]))
    assert best is not None and best.label == "b" and best.similarity == pytest.approx(1.0)


def test_dialogue_config_is_validated_and_wired_into_the_tutor_config() -> None:
    from tutor import TutorConfig
    from tutor.conversation.config import DialogueConfig

    assert TutorConfig().dialogue == DialogueConfig()
    with pytest.raises(ValueError, match="cosine similarity"):
        DialogueConfig(concept_similarity=1.5)
    with pytest.raises(ValueError, match="max_difficulty_bias"):
        DialogueConfig(max_difficulty_bias=3)
