"""TalkingHeadPipeline: text / audio / emotion -> AvatarClip, every frame drawn by the GAN.

    pipe = TalkingHeadPipeline.from_pretrained()          # shipped default avatar, offline
    clip = pipe.speak("Nice work!", emotion="happy", intensity=0.8)
    clip.save("reply.mp4")

The pipeline owns the models (loaded once) and the workflow: 1. speech (piper TTS) -> 2. the rig
performance: piper's phoneme timeline + loudness + emotion + idle (blinks, gaze, sway) -> per-frame
ARKit KEPT coefficients and head pose (gan.rig.performance.Performer) -> 3. the EMA RigGenerator
(256x256, config.json `generator_version: 2`) renders every frame in batches -> AvatarClip.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from gan.checkpoint import RigInferenceModel, load_rig_generator
from gan.clip import AvatarClip, fit_audio
from gan.config import AvatarConfig
from gan.images import tensor_to_frames
from gan.rig.arkit import KEPT
from gan.rig.performance import Performance, Performer
from gan.rig.wire import rows_to_inputs

if TYPE_CHECKING:
    from gan.audio.speech import Speech, Synthesizer

# The shipped avatar: the one place that names it (the app, benches and tests read this constant).
# Avatar v2 (256x256 RigGenerator); the lead replaces its two files with the final training run's.
DEFAULT_CHECKPOINT = Path(__file__).parent / "weights" / "default_avatar"
MAX_SECONDS = 120.0  # longest clip react/from_audio will render (memory bound: ~1 GB of frames)


def _check_intensity(intensity: float) -> float:
    if not isinstance(intensity, int | float) or not 0.0 <= float(intensity) <= 1.0:
        raise ValueError(f"intensity must be a number in [0, 1], got {intensity!r}.")
    return float(intensity)


def _check_text(text: str, max_chars: int) -> str:
    """Strip, reject empty, cut long text at the last sentence end before max_chars."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__}.")
    text = " ".join(text.split())
    if not text or not any(c.isalnum() for c in text):
        raise ValueError("text to speak is empty (no words).")
    if len(text) > max_chars:
        cut = text[:max_chars]
        end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
        text = cut[: end + 1] if end > 0 else cut
    return text


class TalkingHeadPipeline:
    """Owns the generator, the rig's performer and the voice; renders AvatarClips."""

    def __init__(self, model: RigInferenceModel, config: AvatarConfig | None = None) -> None:
        self.config = config or AvatarConfig()
        self.model = model
        self.fps = float(model.config.get("fps", 25))
        self.size = int(model.config["generator"]["size"])
        self._synth: Synthesizer | None = None
        self._performer = Performer()
        if model.kept != KEPT or model.emotions != self._performer.table.names:
            raise ValueError("This avatar v2 checkpoint was trained on other rig channels or emotions than "
                             "gan/rig defines now; retrain or export it again.")
        torch.set_num_threads(self.config.num_threads)

    def _check_emotion(self, emotion: str) -> None:
        """ValueError unless `emotion` is a tutor emotion (AVATAR_EMOTIONS) or an expression prototype name."""
        if not isinstance(emotion, str):
            raise ValueError(f"emotion must be a string, got {type(emotion).__name__}.")
        self._performer.table.blend(emotion)

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None, config: AvatarConfig | None = None,
                        load_voice: bool = True) -> TalkingHeadPipeline:
        """Load an inference checkpoint folder (default: the shipped avatar) and warm it up."""
        config = config or AvatarConfig()
        folder = Path(path or config.checkpoint_dir or DEFAULT_CHECKPOINT)
        pipe = cls(load_rig_generator(folder), config)
        if load_voice:
            pipe._voice()
        pipe._render_rig(pipe._perform(2, "neutral", 0.5, None))
        return pipe

    def _voice(self) -> Synthesizer:
        """The piper voice, loaded on first use (onnxruntime is heavy)."""
        if self._synth is None:
            from gan.audio.speech import Synthesizer

            # Same thread budget as rendering: speech and frames are made one after the other, and
            # 2 onnxruntime threads synthesise a 4.7 s sentence in 0.53 s instead of 0.91 s (quiet
            # 2-core machine, measured with the trainer paused).
            self._synth = Synthesizer.load(num_threads=self.config.num_threads, cache_mb=self.config.speech_cache_mb)
        return self._synth

    # ------------------------------------------------------------------ building blocks
    def _perform(self, n_frames: int, emotion: str, intensity: float,
                 phonemes: tuple[tuple[str, float, float], ...] | None, seed: int | None = None,
                 start_frame: int = 0, speaking: bool | None = None, audio: np.ndarray | None = None,
                 sample_rate: int = 0, after: Performance | None = None) -> Performance:
        """Emotion + phonemes (None = silent) + idle -> per-frame rig numbers (gan.rig.performance)."""
        try:
            return self._performer.perform(n_frames, emotion, intensity, self.config.seed if seed is None else seed,
                                           phonemes=phonemes, audio=audio, sample_rate=sample_rate,
                                           start_frame=start_frame, speaking=speaking, after=after)
        except KeyError as err:
            raise ValueError(f"Unknown emotion {emotion!r}.") from err

    def perform(self, speech: Speech | None, emotion: str = "neutral", intensity: float | None = None,
                n_frames: int | None = None, seed: int | None = None, start_frame: int = 0,
                speaking: bool | None = None, after: Performance | None = None) -> Performance:
        """The rig performance of `speech` (its phonemes; its loudness opens the jaw and nods the
        head, as in the training corpus) or, with speech None, n_frames of silent expression + idle.

        What speak() and react() render; `render(perf)` draws it. start_frame and speaking continue
        one performance across calls, `after` eases the head out of the part before
        (gan.rig.performance.Performer.perform).
        """
        self._check_emotion(emotion)
        inten = _check_intensity(self.config.intensity if intensity is None else intensity)
        if speech is None:
            if n_frames is None or n_frames < 1:
                raise ValueError("A silent performance needs n_frames >= 1.")
            return self._perform(n_frames, emotion, inten, None, seed, start_frame, speaking, after=after)
        n = self._n_frames(len(speech.audio), speech.sample_rate) if n_frames is None else n_frames
        return self._perform(n, emotion, inten, speech.phonemes, seed, start_frame, speaking,
                             audio=speech.audio, sample_rate=speech.sample_rate, after=after)

    def render(self, perf: Performance) -> np.ndarray:
        """Every frame of a Performance -> (T, S, S, 3) uint8, drawn by the generator."""
        return self._render_rig(perf)

    def perform_sentences(self, text: str, emotion: str = "neutral",
                          intensity: float | None = None) -> Iterator[tuple[Speech, Performance]]:
        """Each sentence's speech and its part of ONE continuous performance of the whole reply.

        Sentence i+1's speech starts on the frame after sentence i's last; blinks, gaze and head
        sway run on through the boundary (one idle track, sliced with start_frame) and the head
        eases out of the previous sentence's last pose (its loudness nods), so the parts join
        without a jump. Each sentence's audio is padded to whole frames (< 1 frame each).
        """
        self._check_emotion(emotion)
        _check_intensity(self.config.intensity if intensity is None else intensity)
        text = _check_text(text, self.config.max_text_chars)
        start = 0
        before: Performance | None = None
        for speech in self._voice().synthesize_sentences(text):
            before = self.perform(speech, emotion, intensity, start_frame=start, speaking=True, after=before)
            yield speech, before
            start += len(before.track)

    def render_rows(self, rows: np.ndarray) -> np.ndarray:
        """Every frame of motion rows (gan/rig/wire.py, what the browser path sends) -> (T, S, S, 3) uint8."""
        return self._render_inputs(rows_to_inputs(rows))

    def stream_rows(self, rows: np.ndarray, audio: np.ndarray, sample_rate: int, emotion: str = "neutral",
                    text: str = "") -> Iterator[AvatarClip]:
        """One sentence's motion rows + its speech as clips of stream_chunk_frames (as `stream` yields
        them): the server-side render of a part first sent to a browser (the teacher's replay)."""
        inputs = rows_to_inputs(rows)
        render = partial(self._render_inputs, inputs)
        yield from self._chunks(render, len(rows), self.config.stream_chunk_frames, audio, sample_rate, emotion, text)

    def _render_rig(self, perf: Performance, start: int = 0, end: int | None = None) -> np.ndarray:
        """Frames [start, end) of a Performance -> (T, S, S, 3) uint8."""
        inputs = (perf.track.kept, perf.track.pose, perf.emotion, perf.intensity[:, None])
        return self._render_inputs(inputs, start, end)

    @torch.inference_mode()
    def _render_inputs(self, inputs: tuple[np.ndarray, ...], start: int = 0, end: int | None = None) -> np.ndarray:
        """Frames [start, end) of the generator's inputs (rig, pose, emotion, intensity (T, 1)) ->
        (T, S, S, 3) uint8, RigGenerator batches of render_batch."""
        g = self.model.generator
        end = len(inputs[0]) if end is None else end
        out = np.empty((end - start, self.size, self.size, 3), np.uint8)
        n = self.config.render_batch
        for s in range(start, end, n):
            sl = slice(s, min(end, s + n))
            frames = g(*(torch.from_numpy(np.ascontiguousarray(a[sl])) for a in inputs))
            out[sl.start - start : sl.stop - start] = tensor_to_frames(frames)
        return out

    def _clip(self, frames: np.ndarray, audio: np.ndarray, sample_rate: int, emotion: str, text: str,
              sentence_frames: int = 0) -> AvatarClip:
        audio = fit_audio(audio, len(frames), sample_rate, self.fps)
        return AvatarClip(frames, self.fps, audio, int(sample_rate), emotion, text, sentence_frames)

    def _n_frames(self, n_samples: int, sample_rate: int) -> int:
        return max(1, math.ceil(n_samples * self.fps / sample_rate - 1e-6))  # float-safe ceil

    # ------------------------------------------------------------------ public API
    def speak(self, text: str, emotion: str = "neutral", intensity: float | None = None) -> AvatarClip:
        """Say `text` with `emotion` (AVATAR_EMOTIONS or rig names) at `intensity` in [0, 1]."""
        self._check_emotion(emotion)
        inten = _check_intensity(self.config.intensity if intensity is None else intensity)
        text = _check_text(text, self.config.max_text_chars)
        speech = self._voice().synthesize(text)  # 1. speech
        frames = self.render(self.perform(speech, emotion, inten))  # 2. rig performance (its length), 3. frames
        return self._clip(frames, speech.audio, speech.sample_rate, emotion, text)

    def react(self, emotion: str = "neutral", seconds: float = 2.0, intensity: float | None = None) -> AvatarClip:
        """A silent clip: the expression with idle motion (blinks, sway, gaze), mouth closed."""
        self._check_emotion(emotion)
        inten = _check_intensity(self.config.intensity if intensity is None else intensity)
        if not isinstance(seconds, int | float) or not 0.0 < float(seconds) <= MAX_SECONDS:
            raise ValueError(f"seconds must be in (0, {MAX_SECONDS}], got {seconds!r}.")
        n = max(1, round(float(seconds) * self.fps))
        frames = self.render(self.perform(None, emotion, inten, n_frames=n))
        sample_rate = 22050
        return self._clip(frames, np.zeros(0, np.float32), sample_rate, emotion, "")

    def from_audio(self, audio: np.ndarray, sample_rate: int, emotion: str = "neutral",
                   intensity: float | None = None) -> AvatarClip:
        """Lip-sync any voice: refused with a clear error until an audio-to-rig model ships (the rig's lips
        come from the voice's phoneme timings); the arguments are checked first, as everywhere."""
        self._check_emotion(emotion)
        _check_intensity(self.config.intensity if intensity is None else intensity)
        if not isinstance(sample_rate, int | np.integer) or sample_rate < 4000:
            raise ValueError(f"sample_rate must be an int >= 4000 Hz, got {sample_rate!r}.")
        if not isinstance(audio, np.ndarray) or audio.ndim != 1 or audio.size == 0:
            raise ValueError("audio must be a non-empty 1-D numpy array (mono).")
        if not np.issubdtype(audio.dtype, np.floating):
            raise ValueError(f"audio must be float samples in [-1, 1], got dtype {audio.dtype}.")
        if audio.size / sample_rate > MAX_SECONDS:
            raise ValueError(f"audio longer than {MAX_SECONDS} s.")
        raise ValueError("Lip-sync from arbitrary audio needs an audio-to-rig model, which avatar v2 "
                         "checkpoints do not carry yet; use speak() (phoneme timings from the voice).")

    def stream(self, text: str, emotion: str = "neutral", intensity: float | None = None) -> Iterator[AvatarClip]:
        """Yield short clips (stream_chunk_frames each, cut at sentence ends) as soon as each is ready.

        Played one after the other they are one continuous performance: the reply is performed as
        one rig track (perform_sentences); each sentence's first chunk carries its text.
        """
        step = self.config.stream_chunk_frames
        for speech, perf in self.perform_sentences(text, emotion, intensity):
            n = len(perf.track)
            render = partial(self._render_rig, perf)
            yield from self._chunks(render, n, step, speech.audio, speech.sample_rate, emotion, speech.text)

    def _chunks(self, render: Callable[[int, int], np.ndarray], n: int, step: int, audio: np.ndarray,
                sample_rate: int, emotion: str, text: str) -> Iterator[AvatarClip]:
        """One sentence's n frames as clips of `step` frames; the first carries the sentence's text and n."""
        audio = fit_audio(audio, n, sample_rate, self.fps)
        for s in range(0, n, step):
            e = min(n, s + step)
            a0, a1 = round(s * sample_rate / self.fps), round(e * sample_rate / self.fps)
            start = s == 0
            yield self._clip(render(s, e), audio[a0:a1], sample_rate, emotion, text if start else "", n if start else 0)
