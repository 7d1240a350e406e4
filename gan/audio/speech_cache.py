"""Sentences the voice has already spoken, kept in memory for the next student who needs them.

A class works the same problems, so the tutor says the same sentences again and again ("Nice
work!", a problem's wording, its hints): in a simulated class (bench/bench_student_cost.py, 6
students x 7 replies) 57 % of the reply sentences had been spoken before, and piper is most of
a reply's server cost on the browser path (~120 ms CPU per 2.7 s sentence of ~330 ms per reply).
A cached sentence is the same Speech (audio + phoneme timeline) piper would make again: piper is
deterministic for a given text and voice (the tests check it), so a hit changes nothing a
student hears or sees.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gan.audio.speech import Speech


class SpeechCache:
    """A thread-safe least-recently-used map sentence -> Speech, bounded by the audio's bytes."""

    def __init__(self, max_mb: float) -> None:
        if max_mb <= 0:
            raise ValueError(f"SpeechCache needs a positive size in MB, got {max_mb}.")
        self.max_bytes = int(max_mb * 1024 * 1024)
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[str, Speech] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, sentence: str) -> Speech | None:
        """The Speech of `sentence` if it was spoken before (and counts the hit or miss)."""
        with self._lock:
            speech = self._items.get(sentence)
            if speech is None:
                self.misses += 1
                return None
            self._items.move_to_end(sentence)
            self.hits += 1
            return speech

    def put(self, speech: Speech) -> None:
        """Keep `speech` under its text; its audio becomes read-only (it is shared from now on)."""
        size = speech.audio.nbytes
        if size > self.max_bytes:
            return
        speech.audio.flags.writeable = False
        with self._lock:
            old = self._items.pop(speech.text, None)
            self.bytes += size - (old.audio.nbytes if old is not None else 0)
            self._items[speech.text] = speech
            while self.bytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self.bytes -= dropped.audio.nbytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
