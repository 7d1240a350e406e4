"""The speech cache: a repeated sentence is the same Speech piper makes, memory stays bounded."""

from __future__ import annotations

import numpy as np
import pytest

from gan.audio.speech import Speech, Synthesizer
from gan.audio.speech_cache import SpeechCache
from gan.config import AvatarConfig


def _speech(text: str, seconds: float) -> Speech:
    return Speech(np.zeros(int(22050 * seconds), np.float32), 22050, (("_", 0.0, seconds),), text)


def test_a_cached_sentence_equals_a_fresh_synthesis() -> None:
    cached = Synthesizer.load(cache_mb=8)
    plain = Synthesizer.load()
    text = "Nice work. Now try three quarters plus one half."
    first = list(cached.synthesize_sentences(text))
    again = list(cached.synthesize_sentences(text))
    fresh = list(plain.synthesize_sentences(text))
    assert cached.cache is not None and cached.cache.hits == 2 and cached.cache.misses == 2
    for a, b, c in zip(first, again, fresh, strict=True):
        assert b is a  # served from memory
        assert np.array_equal(a.audio, c.audio) and a.phonemes == c.phonemes  # what piper makes again
        assert not a.audio.flags.writeable  # shared: nobody may change it in place


def test_least_recently_used_sentences_go_first_within_the_bound() -> None:
    cache = SpeechCache(max_mb=1.0)  # ~11.9 s of 22.05 kHz float32
    for i in range(5):
        cache.put(_speech(f"s{i}", 3.0))  # 265 KB each: the fifth pushes the first out
        cache.get("s1")  # s1 stays recently used
    assert cache.bytes <= cache.max_bytes
    assert cache.get("s0") is None and cache.get("s1") is not None and cache.get("s4") is not None
    cache.put(_speech("long", 20.0))  # larger than the whole cache: not kept, nothing evicted
    assert cache.get("long") is None and len(cache) == 3


def test_sizes_are_checked() -> None:
    with pytest.raises(ValueError, match="positive size"):
        SpeechCache(0)
    with pytest.raises(ValueError, match="speech_cache_mb"):
        AvatarConfig(speech_cache_mb=-1)
