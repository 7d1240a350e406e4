"""From rig parameters to the actor's face shape: emotion -> action units -> feature geometry.

Emotions are built from facial action units (Ekman & Friesen 1978, FACS; the prototype
combinations of EMFACS / Ekman, Friesen & Hager 2002): happy = AU6+12, sad = AU1+4+15+17,
surprised = AU1+2+5+26, angry = AU4+5+7+23/24. A blend over RIG_EMOTIONS mixes the AU vectors
linearly and `intensity` scales them, so intensity 0 is the neutral face whatever the blend.

Choices measured against an expression classifier and MediaPipe (see /work/shared/FINDINGS.md):
white sclera above the iris reads "surprised", so only AU5 (surprise, a little for anger) lifts
the upper lid past the iris; the neutral mouth is closed and relaxed; the smile shows teeth
through slightly parted lips but never a wide-open mouth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gan.rig.params import RIG_EMOTIONS, RigParams

# Action units used by the rig, in this order.
ACTION_UNITS: tuple[str, ...] = (
    "inner_brow_raise",  # AU1
    "outer_brow_raise",  # AU2
    "brow_lower",  # AU4 (brows down and together)
    "upper_lid_raise",  # AU5 (white above the iris)
    "cheek_raise",  # AU6 (cheeks up, lower lids pushed up)
    "lid_tighten",  # AU7
    "nose_wrinkle",  # AU9
    "lip_corner_pull",  # AU12 (smile)
    "lip_corner_depress",  # AU15
    "chin_raise",  # AU17 (lower lip pushed up)
    "lip_press",  # AU23/24 (thin, pressed lips)
    "jaw_drop",  # AU26 (expression part; speech adds its own jaw_open)
    "lid_droop",  # AU43-like lowering of the upper lid in sadness
    "eyes_down",  # AU64, gaze lowered (part of sadness displays)
)

# Prototype AU intensities per rig emotion (0..1), after EMFACS prototypes, tuned on renders.
_PROTOTYPES: dict[str, dict[str, float]] = {
    "neutral": {},
    "happy": {"cheek_raise": 1.0, "lip_corner_pull": 1.0, "inner_brow_raise": 0.15},
    "sad": {
        "inner_brow_raise": 1.0,
        "brow_lower": 0.0,
        "lip_corner_depress": 1.0,
        "chin_raise": 0.6,
        "lid_droop": 0.55,
        "eyes_down": 2.0,
    },
    "surprised": {"inner_brow_raise": 1.0, "outer_brow_raise": 1.0, "upper_lid_raise": 1.0, "jaw_drop": 0.42},
    "angry": {
        "brow_lower": 1.0,
        "upper_lid_raise": 0.25,
        "lid_tighten": 0.7,
        "nose_wrinkle": 0.35,
        "lip_press": 1.0,
        "lip_corner_depress": 0.25,
        "chin_raise": 0.4,
    },
}
AU_MATRIX = np.array(
    [[_PROTOTYPES[e].get(au, 0.0) for au in ACTION_UNITS] for e in RIG_EMOTIONS], dtype=np.float32
)  # (n_emotions, n_aus)


def action_units(params: RigParams) -> dict[str, float]:
    """AU activations of one frame: emotion blend x intensity (linear mix of prototypes)."""
    au = params.emotion_vector() @ AU_MATRIX * float(params.intensity)
    return {name: float(v) for name, v in zip(ACTION_UNITS, au)}


@dataclass(frozen=True)
class FaceShape:
    """Geometry of the deformable features in face units (fractions of the image size).

    Offsets are relative to the neutral layout in `gan.actor.layout2d`; y grows downwards.
    """

    # eyes
    upper_lid: float  # upper-lid height above the eye centre
    lower_lid: float  # lower-lid depth below the eye centre
    gaze_x: float  # iris shift (face units), + = image right
    gaze_y: float  # iris shift, + = down
    # brows: vertical offsets of inner and outer ends, and inner end moving to the midline
    brow_inner_dy: float
    brow_outer_dy: float
    brow_inner_dx: float
    brow_arch: float  # height of the arch above the line through the ends (flat, oblique in sadness)
    # mouth
    mouth_half_width: float
    corner_dy: float  # + = corners down
    gap: float  # inner-lip opening at the centre
    upper_lip_raise: float  # upper lip lift when lips part (shows upper teeth)
    upper_lip_thick: float
    lower_lip_thick: float
    lower_lip_dy: float  # chin raise pushes the closed lower lip up (- = up)
    roundness: float  # 0 spread .. 1 round opening, lips protrude
    jaw_drop: float  # chin displacement (face units)
    smile: float  # 0..1, the upper inner lip follows the teeth (crescent-shaped opening)
    furrow: float  # 0..1, vertical creases between the lowered brows (AU4)
    # cheeks and creases (height-field bumps, 0..1)
    cheek: float
    fold: float  # nasolabial fold depth
    nose_wrinkle: float


# Neutral sizes in face units (fractions of image size), from average adult proportions:
# eye width ~ 1/5 of the face width, iris diameter ~ 45 % of eye width, mouth width ~ the
# distance between pupils x 0.75 (Farkas 1994, "Anthropometry of the Head and Face").
EYE_UPPER = 0.0138
EYE_LOWER = 0.0155
MOUTH_HALF_WIDTH = 0.066
UPPER_LIP = 0.0135
LOWER_LIP = 0.0175
# Jaw: jaw_open = 1 parts the lips by this much (about 2.6 cm on a 14 cm wide face).
MAX_GAP = 0.085


def face_shape(params: RigParams) -> FaceShape:
    """Combine emotion AUs, visemes, blink and gaze into one FaceShape."""
    au = action_units(params)
    blink = float(params.blink)
    open_upper = EYE_UPPER * (
        1.0
        + 0.95 * au["upper_lid_raise"]
        - 0.30 * au["lid_tighten"]
        - 0.18 * au["cheek_raise"]
        - 0.35 * au["lid_droop"]
    )
    # The upper lid follows vertical gaze (lid-eye coordination), so looking down never bares
    # the white above the iris (which reads as surprise).
    gaze_y = 0.005 * float(params.gaze_y) + 0.004 * au["eyes_down"]
    open_upper -= 0.9 * gaze_y
    # Lids meet a little below the centre when closed (the upper lid does the travelling).
    upper = open_upper * (1.0 - blink) - 0.004 * blink
    lower = EYE_LOWER * (1.0 - 0.45 * au["cheek_raise"] - 0.35 * au["lid_tighten"] + 0.25 * au["upper_lid_raise"])
    lower = max(lower, -upper + 0.0005)

    # Inner brows up without the outer ones (AU1 without AU2): the tails drop and the brows flatten
    # into the oblique "grief" line. Tuned on renders against the expression classifier: a
    # strongly down-turned mouth or raised, knitted brows read as fear or anger instead.
    oblique = max(0.0, au["inner_brow_raise"] - au["outer_brow_raise"])
    jaw = float(np.clip(params.jaw_open + au["jaw_drop"], 0.0, 1.0))
    width = float(params.lip_width)
    rnd = float(params.lip_round)
    smile = au["lip_corner_pull"]
    half_w = MOUTH_HALF_WIDTH * (
        1.0 + 0.32 * smile + 0.16 * width - 0.30 * rnd - 0.08 * au["lip_press"] - 0.05 * jaw
    )
    gap = MAX_GAP * jaw * (1.0 - 0.25 * au["lip_press"])
    # A smile parts the lips slightly and lifts the upper lip: teeth show, mouth stays small.
    gap += 0.024 * smile * (1.0 - jaw)
    return FaceShape(
        upper_lid=upper,
        lower_lid=lower,
        gaze_x=0.009 * float(params.gaze_x),
        gaze_y=gaze_y,
        brow_inner_dy=-0.028 * au["inner_brow_raise"] + 0.044 * au["brow_lower"] - 0.004 * au["outer_brow_raise"],
        brow_outer_dy=-0.022 * au["outer_brow_raise"] + 0.004 * au["brow_lower"] + 0.022 * oblique,
        brow_inner_dx=0.016 * au["brow_lower"],
        brow_arch=0.006 * (1.0 - 2.3 * oblique),
        mouth_half_width=half_w,
        corner_dy=-0.042 * smile + 0.010 * au["lip_corner_depress"],
        gap=gap,
        upper_lip_raise=0.005 * smile + 0.006 * jaw,
        upper_lip_thick=UPPER_LIP * (1.0 - 0.55 * au["lip_press"] - 0.2 * smile + 0.25 * rnd),
        lower_lip_thick=LOWER_LIP * (1.0 - 0.5 * au["lip_press"] - 0.1 * smile + 0.2 * rnd),
        lower_lip_dy=-0.012 * au["chin_raise"],
        roundness=rnd,
        jaw_drop=0.060 * jaw,
        smile=smile,
        furrow=au["brow_lower"],
        cheek=au["cheek_raise"] * 0.6 + 0.4 * smile,
        fold=0.6 * smile + 0.2 * au["nose_wrinkle"],
        nose_wrinkle=au["nose_wrinkle"],
    )
