"""Learner affect from a webcam frame: MediaPipe face detection + face mesh + ported mini-Xception.

Pipeline per frame (all in memory; frames are never written anywhere):
1. validate the array (uint8 (H, W, 3) RGB, at least 32 px a side) and downscale so the long
   side is at most `max_side` (an 8000x8000 frame costs one resize, not a slow detector pass);
2. full-range face detector (`model_selection=1`: finds small, off-centre faces that the
   short-range model misses, FINDINGS.md); the largest face wins when there are several;
3. face mesh (`refine_landmarks=True`, 478 points) on a square crop around that face, so the
   mesh's own short-range detector always sees a large face and never fires on background
   (on the full frame it "found" a face in skimage's colour wheel);
4. expression probabilities from the ported mini-Xception on the face crop AND its mirror image,
   averaged, so the reading does not depend on whether the browser mirrors the webcam;
5. geometric cues (affect/landmarks.py) and the documented weights below -> LEARNER_STATES.

Streams (tracking mode) skip step 2 on most frames: the detector is ~12 ms of a ~30 ms frame
(the full-range model's own cost: the same on a 192 px or a 640 px input, bench_affect.py),
while the mesh, which tracks, already says where the face is. So after a detection the face box
follows the mesh's landmarks (the box keeps its offset and scale relative to the landmarks'
bounding box, measured at the detection), and the detector runs again
- every `redetect_every` frames: a larger face that came into view wins from then on
  (largest-face rule, at most `redetect_every - 1` frames late), and a face the detector no
  longer finds ends the track (the detector stays the judge of "no face" as in static mode);
  when the largest face is the tracked one, the mesh stays on the crop it tracks in (moving
  the crop would move the face against the mesh's own tracked region);
- at once, in the same call, when the mesh loses the face (it left, or turned away beyond what
  the mesh tracks) or the landmark box jumps implausibly, or the frame size changes (another
  stream): such a frame costs detector + mesh, as every frame did before.

MediaPipe graphs are not thread-safe and the UI calls from several threads, so every call into
them holds one lock per FaceAffect.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any

import cv2
import numpy as np

from affect.config import FaceAffectConfig
from affect.expression import ExpressionClassifier
from affect.landmarks import NUM_LANDMARKS, CueBaseline, FaceCues, face_cues
from affect.types import BASIC_EMOTIONS, LEARNER_STATES, AffectEstimate

MIN_SIDE = 32  # smaller frames cannot hold a face the detector could find
MESH_CROP_SCALE = 1.8  # mesh crop side / detector box side: whole head plus margin
MESH_CROP_PX = 256  # the mesh model works at 192 px; a bigger crop only costs time
EXPRESSION_CROP_SCALE = 1.2  # fer's crops: detector box + ~10 % margin each side (offsets=(10, 10))
DETECT_MAX_SIDE = 384  # the full-range detector resizes its input to 192x192 anyway; a smaller copy saves time
MIN_FACE_PX = 48  # faces smaller than this (in the analysed frame) get proportionally lower confidence
# A tracked landmark box this far from the previous box (centre shift / side, side ratio) is not
# the same face moving between frames: drop the track and detect. The mesh crop is 1.8 sides wide,
# so a face whose centre moved more than ~0.9 side was outside it anyway.
TRACK_MAX_SHIFT, TRACK_MAX_SCALE = 0.75, 1.5

# Basic emotion -> learner states. Rows sum to 1. Sources: D'Mello & Graesser 2012 and
# McDaniel et al. 2007 (concentration/engagement mostly shows as a neutral face; surprise
# co-occurs with confusion; AU4 "anger-like" brow lowering with confusion and frustration);
# Baker et al. 2010 (boredom looks flat/sad); fear <-> test anxiety.
EMOTION_TO_STATE: dict[str, dict[str, float]] = {
    "neutral": {"neutral": 0.55, "engaged": 0.35, "bored": 0.10},
    "happy": {"delighted": 0.75, "engaged": 0.25},
    "sad": {"bored": 0.35, "frustrated": 0.35, "anxious": 0.30},
    "angry": {"frustrated": 0.70, "confused": 0.30},
    "fearful": {"anxious": 0.80, "confused": 0.20},
    "disgusted": {"frustrated": 0.60, "bored": 0.40},
    "surprised": {"confused": 0.40, "delighted": 0.30, "engaged": 0.30},
}
# Geometric cue (in [0, 1]) -> extra evidence added to the emotion-derived scores (which sum to
# 1), so a fully present cue weighs about as much as the classifier's whole vote.
CUE_TO_STATE: dict[str, dict[str, float]] = {
    "brow_lowering": {"confused": 0.6, "frustrated": 0.2},  # AU4 (McDaniel 2007, Grafsgaard 2013)
    "eye_closure": {"bored": 0.8},  # fatigue
    "yawn": {"bored": 1.0},
    "smile": {"delighted": 0.6},  # AU12
    "head_away": {"bored": 0.8},  # off-task gaze (Whitehill et al. 2014)
}
# Circumplex placement of the basic emotions (Russell 1980; Posner et al. 2005).
EMOTION_VALENCE = {
    "neutral": 0.0,
    "happy": 0.8,
    "sad": -0.6,
    "angry": -0.7,
    "fearful": -0.6,
    "disgusted": -0.6,
    "surprised": 0.1,
}
EMOTION_AROUSAL = {
    "neutral": 0.2,
    "happy": 0.55,
    "sad": 0.25,
    "angry": 0.8,
    "fearful": 0.8,
    "disgusted": 0.55,
    "surprised": 0.85,
}


def validate_frame(rgb: Any) -> np.ndarray:
    """Check a frame is a uint8 (H, W, 3) RGB array; raise ValueError saying what is wrong."""
    if not isinstance(rgb, np.ndarray):
        raise ValueError(f"frame must be a numpy array, got {type(rgb).__name__}.")
    if rgb.dtype != np.uint8:
        raise ValueError(
            f"frame must be uint8 RGB, got dtype {rgb.dtype} (convert floats with (x * 255).astype(np.uint8))."
        )
    if rgb.ndim == 2:
        raise ValueError("frame is greyscale (H, W); pass RGB (H, W, 3), e.g. affect.face.to_rgb(frame).")
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        rgba = rgb.ndim == 3 and rgb.shape[2] == 4
        hint = " (RGBA: drop alpha with frame[..., :3] or affect.face.to_rgb)" if rgba else ""
        raise ValueError(f"frame must have shape (H, W, 3), got {rgb.shape}{hint}.")
    if min(rgb.shape[:2]) < MIN_SIDE:
        raise ValueError(f"frame is {rgb.shape[1]}x{rgb.shape[0]}; at least {MIN_SIDE}x{MIN_SIDE} is needed.")
    return rgb


def to_rgb(frame: np.ndarray) -> np.ndarray:
    """Convenience for callers: greyscale (H, W) / (H, W, 1) or RGBA uint8 -> RGB (H, W, 3)."""
    arr = np.asarray(frame)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim == 2:
        return np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim == 3 and arr.shape[2] == 4:
        return np.ascontiguousarray(arr[:, :, :3])
    return arr


Box = tuple[float, float, float, float]  # x, y, w, h in analysed-frame pixels
Timings = dict[str, tuple[float, float]]  # stage -> (wall ms, process CPU ms) spent on it this frame


@dataclass(frozen=True)
class FaceReading:
    """Everything read from one frame; `estimate` is what `FaceAffect.predict` returns."""

    box: tuple[int, int, int, int]  # x, y, w, h of the chosen face in input-frame pixels
    detection_score: float  # of the detection this frame, or of the last one while tracking
    landmarks: np.ndarray | None  # (478, 3) x, y in input-frame pixels, z in the same scale; None if the mesh failed
    cues: FaceCues | None
    emotions: dict[str, float]  # over BASIC_EMOTIONS
    estimate: AffectEstimate
    detected: bool = True  # False: the box came from tracking the mesh, the detector did not run
    timings: Timings = field(default_factory=dict)  # "detect", "mesh", "classify" (only stages that ran)


@dataclass(frozen=True)
class _Track:
    """Stream state between frames: the tracked face and how old its last detection is."""

    box: Box  # detector-like box of the face in the last frame
    score: float  # detection score of the last detection
    calib: tuple[float, float, float, float]  # detector box vs landmark box: centre offset x, y and size x, y
    frames: int  # frames tracked since the last detection
    shape: tuple[int, ...]  # analysed frame shape (another shape: another stream, detect again)


def _close_graphs(*graphs: Any) -> None:
    for graph in graphs:
        graph.close()


def _landmark_box(pts: np.ndarray) -> Box:
    """Bounding box (x, y, w, h) of the landmarks' x, y."""
    x0, y0 = pts[:, 0].min(), pts[:, 1].min()
    return float(x0), float(y0), max(float(pts[:, 0].max() - x0), 1.0), max(float(pts[:, 1].max() - y0), 1.0)


def _calibrate(box: Box, pts: np.ndarray) -> tuple[float, float, float, float]:
    """Where the detector's box sits relative to the landmarks' bounding box (scale-free)."""
    lx, ly, lw, lh = _landmark_box(pts)
    x, y, w, h = box
    return (x + w / 2 - lx - lw / 2) / lw, (y + h / 2 - ly - lh / 2) / lh, w / lw, h / lh


def _box_from_landmarks(pts: np.ndarray, calib: tuple[float, float, float, float]) -> Box:
    """The detector-like box of a tracked face: the calibration applied to its landmark box."""
    lx, ly, lw, lh = _landmark_box(pts)
    dx, dy, kw, kh = calib
    w, h = kw * lw, kh * lh
    return lx + lw / 2 + dx * lw - w / 2, ly + lh / 2 + dy * lh - h / 2, w, h


def _same_face(prev: Box, new: Box) -> bool:
    """Is `new` plausibly `prev` one frame later (TRACK_MAX_SHIFT, TRACK_MAX_SCALE)?"""
    side, new_side = max(prev[2], prev[3]), max(new[2], new[3])
    shift = np.hypot(new[0] + new[2] / 2 - prev[0] - prev[2] / 2, new[1] + new[3] / 2 - prev[1] - prev[3] / 2)
    return shift <= TRACK_MAX_SHIFT * side and 1 / TRACK_MAX_SCALE <= new_side / side <= TRACK_MAX_SCALE


@contextmanager
def _timed(timings: Timings, stage: str) -> Iterator[None]:
    """Add this block's wall and process CPU milliseconds to timings[stage]."""
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        w0, c0 = timings.get(stage, (0.0, 0.0))
        timings[stage] = (w0 + (time.perf_counter() - wall) * 1e3, c0 + (time.process_time() - cpu) * 1e3)


def _square_crop(img: np.ndarray, cx: float, cy: float, side: float) -> tuple[np.ndarray, int, int, int]:
    """Square crop centred on (cx, cy), padded by edge replication where it leaves the image."""
    s = max(round(side), 2)
    x0, y0 = round(cx - s / 2), round(cy - s / 2)
    h, w = img.shape[:2]
    pad = [max(0, -y0), max(0, y0 + s - h), max(0, -x0), max(0, x0 + s - w)]
    crop = img[max(0, y0) : min(h, y0 + s), max(0, x0) : min(w, x0 + s)]
    if any(pad):
        crop = np.pad(crop, ((pad[0], pad[1]), (pad[2], pad[3]), (0, 0)), mode="edge")
    return crop, x0, y0, s


def states_from_face(emotions: dict[str, float], cues: FaceCues | None) -> tuple[dict[str, float], float, float]:
    """Documented mapping: emotions (+ cues) -> (unnormalised state scores, valence, arousal)."""
    scores = dict.fromkeys(LEARNER_STATES, 0.0)
    for emo, p in emotions.items():
        for state, w in EMOTION_TO_STATE[emo].items():
            scores[state] += p * w
    valence = sum(p * EMOTION_VALENCE[e] for e, p in emotions.items())
    arousal = sum(p * EMOTION_AROUSAL[e] for e, p in emotions.items())
    if cues is not None:
        for cue, value in cues.as_dict().items():
            for state, w in CUE_TO_STATE[cue].items():
                scores[state] += value * w
        # Closed eyes and yawns are low arousal; a smile is mildly pleasant whatever the classifier says.
        arousal -= 0.3 * cues.eye_closure + 0.2 * cues.yawn
        valence += 0.2 * cues.smile - 0.1 * cues.brow_lowering
    return scores, valence, arousal


class FaceAffect:
    """Reads LEARNER_STATES (+ BASIC_EMOTIONS) from RGB frames. Load once; thread-safe calls."""

    def __init__(self, cfg: FaceAffectConfig, classifier: ExpressionClassifier) -> None:
        import mediapipe as mp

        self.cfg = cfg
        self.classifier = classifier
        self._lock = threading.Lock()
        self._detector = mp.solutions.face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=cfg.min_detection_confidence
        )
        self._mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=cfg.static_images,
            max_num_faces=1,
            refine_landmarks=True,
            min_detection_confidence=0.5,
            min_tracking_confidence=0.5,
        )
        self._baseline = CueBaseline()
        self._track: _Track | None = None  # streams only; guarded by _lock
        # Closes the graphs once: on close(), or when a per-student stream reader is collected.
        self._finalizer = weakref.finalize(self, _close_graphs, self._detector, self._mesh)

    @classmethod
    def load(cls, cfg: FaceAffectConfig | None = None) -> FaceAffect:
        """Build the MediaPipe graphs and load the shipped expression weights (offline)."""
        cfg = cfg or FaceAffectConfig()
        return cls(cfg, ExpressionClassifier.load(cfg.weights_dir, cfg.num_threads))

    def stream(self) -> FaceAffect:
        """A reader for one more webcam stream, sharing this reader's expression classifier.

        It has its own MediaPipe graphs, cue baseline and tracked face: a reader shared by two
        students would mix their cue baselines (brow height, mouth width are relative to each
        person's own) and lose the track on every interleaved frame. Costs ~40 ms and ~40 MB
        (measured); the graphs are released by close() or when the reader is garbage-collected.
        """
        return FaceAffect(self.cfg, self.classifier)

    def close(self) -> None:
        """Release the MediaPipe graphs (idempotent)."""
        with self._lock:
            self._finalizer()

    def __enter__(self) -> FaceAffect:
        return self

    def __exit__(self, *exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]) -> None:
        self.close()

    def reset(self) -> None:
        """Forget the per-person cue baseline and the tracked face (call when a new stream starts)."""
        with self._lock:
            self._baseline = CueBaseline()
            self._track = None

    # ------------------------------------------------------------------ public API
    def predict(self, rgb: np.ndarray) -> AffectEstimate | None:
        """RGB uint8 (H, W, 3) frame -> AffectEstimate (source "face"), or None if no face."""
        reading = self.analyze(rgb)
        return None if reading is None else reading.estimate

    def landmarks(self, rgb: np.ndarray) -> np.ndarray | None:
        """The largest (streams: the tracked) face's 478 landmarks, (478, 3) float32 in input pixels, or None."""
        frame, scale = self._prepare(rgb)
        with self._lock:
            found = self._locate(frame, {})
        if found is None or found[2] is None:
            return None
        return (found[2] / scale).astype(np.float32)

    def analyze(self, rgb: np.ndarray) -> FaceReading | None:
        """Full reading of the largest face (box, landmarks, cues, emotions, estimate), or None."""
        frame, scale = self._prepare(rgb)
        timings: Timings = {}
        with self._lock:
            found = self._locate(frame, timings)
            if found is None:
                return None
            (x, y, w, h), det_score, pts, detected = found
            cues = None
            if pts is not None:
                cues = face_cues(pts, None if self.cfg.static_images else self._baseline)
                if not self.cfg.static_images:
                    self._baseline.update({k: getattr(cues, k) for k in ("brow_height", "mouth_width", "mar", "yaw")})
        with _timed(timings, "classify"):
            crop, *_ = _square_crop(frame, x + w / 2, y + h / 2, max(w, h) * EXPRESSION_CROP_SCALE)
            probs = self.classifier.predict_mirror_pair(crop)
        emotions = {e: float(p) for e, p in zip(BASIC_EMOTIONS, probs)}
        scores, valence, arousal = states_from_face(emotions, cues)
        size_factor = min(1.0, max(w, h) / MIN_FACE_PX)
        away = cues.head_away if cues is not None else 0.5
        confidence = det_score * size_factor * (1.0 - 0.5 * away) * (1.0 if cues is not None else 0.6)
        estimate = AffectEstimate.from_scores(
            scores, valence=valence, arousal=arousal, confidence=confidence, source="face", emotions=emotions
        )
        box = (round(x / scale), round(y / scale), round(w / scale), round(h / scale))
        landmarks = None if pts is None else (pts / scale).astype(np.float32)
        return FaceReading(box, det_score, landmarks, cues, emotions, estimate, detected, timings)

    # ------------------------------------------------------------------ steps
    def _prepare(self, rgb: np.ndarray) -> tuple[np.ndarray, float]:
        """Validate, make contiguous, downscale to max_side. Returns (frame, scale applied)."""
        frame = validate_frame(rgb)
        h, w = frame.shape[:2]
        scale = min(1.0, self.cfg.max_side / max(h, w))
        if scale < 1.0:
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        return np.ascontiguousarray(frame), scale

    def _locate(self, frame: np.ndarray, timings: Timings) -> tuple[Box, float, np.ndarray | None, bool] | None:
        """The face to read: (box, detection score, landmarks or None, detector ran?), or None.

        Streams follow the tracked face with the mesh alone until a re-detection is due (see the
        module docstring); single images and lost tracks run the detector. Call under _lock.
        """
        track = self._track if not self.cfg.static_images else None
        if track is not None and track.shape != frame.shape:
            track = None
        if track is not None and track.frames + 1 < self.cfg.redetect_every:
            with _timed(timings, "mesh"):
                pts = self._mesh_points(frame, track.box)
            if pts is not None:
                box = _box_from_landmarks(pts, track.calib)
                if _same_face(track.box, box):
                    self._track = replace(track, box=box, frames=track.frames + 1)
                    return box, track.score, pts, False
            track = None  # lost: detect in this same call
        self._track = None
        with _timed(timings, "detect"):
            found = self._largest_face(frame)
        if found is None:
            return None
        box, score = found[:4], found[4]
        pts = None
        if track is not None and _same_face(track.box, box):
            # Re-detection found the tracked face as the largest: the mesh keeps the crop it has been
            # tracking in (a crop re-centred on the new box would shift the face against the mesh's
            # own tracked region by one frame of motion, measured to move brow cues on moving faces).
            with _timed(timings, "mesh"):
                pts = self._mesh_points(frame, track.box)
        if pts is None:
            with _timed(timings, "mesh"):
                pts = self._mesh_points(frame, box)
        if pts is not None and not self.cfg.static_images:
            self._track = _Track(box, score, _calibrate(box, pts), 0, frame.shape)
        return box, score, pts, True

    def _largest_face(self, frame: np.ndarray) -> tuple[float, float, float, float, float] | None:
        """Full-range detector; the largest box (x, y, w, h, score) in frame pixels."""
        h, w = frame.shape[:2]
        k = min(1.0, DETECT_MAX_SIDE / max(h, w))
        small = frame if k == 1.0 else cv2.resize(frame, (round(w * k), round(h * k)), interpolation=cv2.INTER_AREA)
        result = self._detector.process(small)
        if not result.detections:
            return None
        best = None
        for det in result.detections:
            b = det.location_data.relative_bounding_box
            x0, y0 = max(0.0, b.xmin * w), max(0.0, b.ymin * h)
            x1, y1 = min(float(w), (b.xmin + b.width) * w), min(float(h), (b.ymin + b.height) * h)
            if x1 - x0 < 2 or y1 - y0 < 2:
                continue
            cand = (x0, y0, x1 - x0, y1 - y0, float(det.score[0]))
            if best is None or cand[2] * cand[3] > best[2] * best[3]:
                best = cand
        return best

    def _mesh_points(self, frame: np.ndarray, box: Box) -> np.ndarray | None:
        """Face mesh on a square crop around the box -> (478, 3) in frame pixels, or None."""
        x, y, w, h = box
        crop, x0, y0, side = _square_crop(frame, x + w / 2, y + h / 2, max(w, h) * MESH_CROP_SCALE)
        interp = cv2.INTER_AREA if side > MESH_CROP_PX else cv2.INTER_LINEAR
        crop = cv2.resize(crop, (MESH_CROP_PX, MESH_CROP_PX), interpolation=interp)
        result = self._mesh.process(np.ascontiguousarray(crop))
        if not result.multi_face_landmarks:
            return None
        lm = result.multi_face_landmarks[0].landmark
        if len(lm) != NUM_LANDMARKS:
            return None
        pts = np.array([(p.x, p.y, p.z) for p in lm], dtype=np.float64) * side
        pts[:, 0] += x0
        pts[:, 1] += y0
        return pts
