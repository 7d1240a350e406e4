"""Config of the avatar at inference time (training configs live in gan/training/train.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AvatarConfig:
    """How reply clips are rendered."""

    checkpoint_dir: str = ""  # inference checkpoint (config.json + model.safetensors); "" = shipped avatar
    num_threads: int = 2  # threads for rendering (torch) and speech synthesis (onnxruntime)
    max_text_chars: int = 600  # longer replies are cut at a sentence boundary before speaking
    # Frames per generator call. At 256 px small batches keep the activations in cache: 167 frames/s at
    # 4 vs 129 at 8 and 64 at 32 (2 threads, idle machine, medians of 4 interleaved runs, session 4).
    render_batch: int = 4
    stream_chunk_frames: int = 25  # frames per streamed chunk (1 s at 25 fps)
    seed: int = 0  # seed of the idle motion (blinks, head sway, gaze); fixed = reproducible clips
    # Memory for sentences already spoken (gan/audio/speech_cache.py): 64 MB holds ~270 sentences of
    # ~2.7 s (~12 min of speech), more than a lesson's distinct sentences; 0 turns the cache off.
    speech_cache_mb: float = 64.0
    intensity: float = 1.0  # default expression intensity when a call gives none (the classifier reads
    # the actor's "concerned" as neutral at 0.8, as sad at 1.0: measured with gan.eval.run.FaceTools)

    def __post_init__(self) -> None:
        if self.num_threads < 1:
            raise ValueError("AvatarConfig.num_threads must be at least 1.")
        if self.max_text_chars < 1:
            raise ValueError("AvatarConfig.max_text_chars must be at least 1.")
        if self.render_batch < 1:
            raise ValueError("AvatarConfig.render_batch must be at least 1.")
        if self.stream_chunk_frames < 1:
            raise ValueError("AvatarConfig.stream_chunk_frames must be at least 1.")
        if self.speech_cache_mb < 0:
            raise ValueError("AvatarConfig.speech_cache_mb must be 0 (off) or positive.")
        if not 0.0 <= self.intensity <= 1.0:
            raise ValueError("AvatarConfig.intensity must be in [0, 1].")
