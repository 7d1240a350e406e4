"""Configs of the affect analysers and the fusion tracker."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TextAffectConfig:
    """How chat text is read."""

    weights_dir: str = ""  # folder with the trained head (config.json + model.safetensors); "" = shipped
    max_chars: int = 2000  # longer messages are truncated before tokenising (keeps 100k-char input fast)
    max_tokens: int = 128  # MiniLM window; student messages are short
    quantize: bool = True  # int8 dynamic quantisation of the encoder's Linear layers (speed target)
    num_threads: int = 1  # onnxruntime intra-op threads of the analyser's graph (affect/text_onnx.py)

    def __post_init__(self) -> None:
        if self.max_chars < 1:
            raise ValueError("TextAffectConfig.max_chars must be at least 1.")
        if not 8 <= self.max_tokens <= 512:
            raise ValueError("TextAffectConfig.max_tokens must be between 8 and 512.")
        if self.num_threads < 1:
            raise ValueError("TextAffectConfig.num_threads must be at least 1.")


@dataclass(frozen=True)
class FaceAffectConfig:
    """How webcam frames are read."""

    weights_dir: str = ""  # folder with the ported expression classifier; "" = shipped
    max_side: int = 960  # larger frames are downscaled first (an 8000x8000 frame must stay fast)
    min_detection_confidence: float = 0.5  # MediaPipe full-range face detector threshold
    static_images: bool = False  # False = tracking mode for streams; True = every frame independent
    redetect_every: int = 10  # streams: full-range detector every N frames while the mesh tracks (1 = every frame)
    num_threads: int = 1  # torch intra-op threads of the expression classifier

    def __post_init__(self) -> None:
        if self.max_side < 64:
            raise ValueError("FaceAffectConfig.max_side must be at least 64 pixels.")
        if self.num_threads < 1:
            raise ValueError("FaceAffectConfig.num_threads must be at least 1.")
        if self.redetect_every < 1:
            raise ValueError("FaceAffectConfig.redetect_every must be at least 1 (1 = detect on every frame).")
        if not 0.0 < self.min_detection_confidence < 1.0:
            raise ValueError("FaceAffectConfig.min_detection_confidence must be in (0, 1).")


@dataclass(frozen=True)
class TrackerConfig:
    """Temporal fusion of text and face readings."""

    half_life_s: float = 20.0  # affect persists: a reading loses half its weight in this many seconds
    stale_after_s: float = 30.0  # a modality silent for longer is ignored
    text_weight: float = 1.0  # prior trust in text vs face, multiplied by each reading's confidence
    face_weight: float = 0.7
    prior_weight: float = 0.3  # pull towards neutral: with no fresh evidence the track is neutral, confidence 0
    absent_after_s: float = 10.0  # camera on but no face for this long reads as disengagement
    bin_s: float = 1.0  # readings of one modality within this window are merged (25 fps webcam -> 1 bin/s)
    self_report_weight: float = 3.0  # this message's own words vs the fused track, for this turn (x confidence)
    habituate_after_s: float = 60.0  # a face expression held unchanged this long starts to count less
    habituation_half_life_s: float = 60.0  # ... losing half its weight per this many further seconds
    habituation_floor: float = 0.1  # ... but never less than this share (a 3 s change then outweighs a 30 s habit)

    def __post_init__(self) -> None:
        if self.half_life_s <= 0 or self.stale_after_s <= 0:
            raise ValueError("TrackerConfig.half_life_s and stale_after_s must be positive.")
        if self.text_weight < 0 or self.face_weight < 0:
            raise ValueError("TrackerConfig weights must be non-negative.")
        if self.prior_weight <= 0:
            raise ValueError("TrackerConfig.prior_weight must be positive (it defines the neutral rest state).")
        if self.absent_after_s <= 0 or not 0 < self.bin_s <= self.stale_after_s:
            raise ValueError("TrackerConfig.absent_after_s must be positive and 0 < bin_s <= stale_after_s.")
        if self.self_report_weight < 0:
            raise ValueError("TrackerConfig.self_report_weight must be non-negative (0 = the face may outweigh words).")
        if self.habituate_after_s < 0 or self.habituation_half_life_s <= 0 or not 0 < self.habituation_floor <= 1:
            raise ValueError(
                "TrackerConfig.habituate_after_s must be >= 0, habituation_half_life_s positive and "
                "habituation_floor in (0, 1]."
            )


@dataclass(frozen=True)
class AffectConfig:
    """All affect settings, nested into the app config."""

    text: TextAffectConfig = field(default_factory=TextAffectConfig)
    face: FaceAffectConfig = field(default_factory=FaceAffectConfig)
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
