"""The rig sketch (gan/rig/sketch.py) and the generator's sketch input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gan.networks import Generator, IdentityEncoder
from gan.rig.params import MOTION_DIM, RIG_EMOTIONS, RigParams, emotion_blend, normalise_motion
from gan.rig.sketch import SKETCH_CHANNELS, rig_sketch, sketch_batch

LIPS, OPENING, EYES, IRIS, BROWS = (
    SKETCH_CHANNELS.index(c) for c in ("lips", "mouth_opening", "eye_opening", "iris", "brows")
)


def _centre_y(channel: np.ndarray) -> float:
    ys = np.arange(channel.shape[0])[:, None]
    return float((channel * ys).sum() / channel.sum())


def test_sketch_follows_the_rig() -> None:
    rest = rig_sketch(RigParams(), 64)
    assert rest.shape == (len(SKETCH_CHANNELS), 64, 64) and rest.dtype == np.float32
    assert rest.min() >= 0.0 and rest.max() <= 1.0
    assert rest[LIPS].sum() > 0 and rest[EYES].sum() > 0 and rest[BROWS].sum() > 0
    assert rest[OPENING].sum() < 0.5  # a closed mouth has (almost) no opening
    # Speech: the opening grows with the jaw.
    areas = [rig_sketch(RigParams(jaw_open=j), 64)[OPENING].sum() for j in (0.2, 0.5, 0.9)]
    assert areas[0] < areas[1] < areas[2]
    # Blink: the upper lid comes down over the iris (the actor's lids meet a little below the eye
    # centre, above the lower lid's rest line, so a thin band stays: the sketch draws what the
    # actor renders).
    eyes = [rig_sketch(RigParams(blink=b), 64) for b in (0.0, 0.5, 1.0)]
    assert eyes[0][EYES].sum() > eyes[1][EYES].sum() > eyes[2][EYES].sum()
    assert eyes[2][IRIS].sum() < 0.7 * eyes[0][IRIS].sum()
    assert _centre_y(eyes[2][EYES]) > _centre_y(eyes[0][EYES])  # what is left is the lower part
    # Surprise raises the brows; anger lowers them.
    surprised = rig_sketch(RigParams(emotion=emotion_blend("surprised")), 64)
    angry = rig_sketch(RigParams(emotion=emotion_blend("angry")), 64)
    assert _centre_y(surprised[BROWS]) < _centre_y(rest[BROWS]) < _centre_y(angry[BROWS])
    # Intensity 0 is the neutral face whatever the emotion.
    calm = rig_sketch(RigParams(emotion=emotion_blend("happy"), intensity=0.0), 64)
    np.testing.assert_array_equal(calm, rest)
    # Gaze moves the irises sideways.
    left, right = (rig_sketch(RigParams(gaze_x=g), 64)[IRIS] for g in (-1.0, 1.0))
    cols = np.arange(64)[None, :]
    assert (left * cols).sum() / left.sum() < (right * cols).sum() / right.sum()


def test_sketch_batch_matches_single_frames_and_checks_shapes() -> None:
    params = [
        RigParams(jaw_open=0.4, blink=0.3, emotion=emotion_blend("concerned")),
        RigParams(lip_round=0.8, gaze_y=0.5, emotion=emotion_blend("happy"), intensity=0.6),
    ]
    motion = np.stack([p.motion_vector() for p in params])
    emotion = np.stack([p.emotion_vector() for p in params])
    intensity = np.array([p.intensity for p in params], np.float32)
    batch = sketch_batch(motion, emotion, intensity, 32)
    for b, p in zip(batch, params):
        np.testing.assert_array_equal(b, rig_sketch(p, 32))
    with pytest.raises(ValueError, match="motion"):
        sketch_batch(motion[:, :3], emotion, intensity, 32)
    with pytest.raises(ValueError, match="intensity"):
        sketch_batch(motion, emotion, intensity[:1], 32)
    with pytest.raises(ValueError, match="resolution"):
        rig_sketch(params[0], 4)


def test_generator_draws_the_sketch_from_the_rig_numbers() -> None:
    torch.manual_seed(0)
    k = len(SKETCH_CHANNELS)
    enc = IdentityEncoder(64, (8, 8, 8, 8))
    g = Generator(64, (3, 8, 8, 8, 8), (8, 8, 8, 8), w_dim=16, sketch_channels=k)
    code = enc(torch.rand(1, 3, 64, 64))
    params = RigParams(jaw_open=0.7, emotion=emotion_blend("surprised"))
    motion = torch.from_numpy(normalise_motion(params.motion_vector()))[None]
    emotion = torch.from_numpy(params.emotion_vector())[None]
    intensity = torch.ones(1, 1)
    drawn = g.draw_sketch(motion, emotion, intensity)
    assert drawn.shape == (1, k, 32, 32)
    np.testing.assert_allclose(drawn[0].numpy(), rig_sketch(params, 32), atol=1e-5)
    # Same output whether the sketch is passed in or drawn inside; a different sketch changes it.
    out = g(code, motion, emotion, intensity)
    torch.testing.assert_close(out, g(code, motion, emotion, intensity, sketch=drawn))
    assert not torch.allclose(out, g(code, motion, emotion, intensity, sketch=torch.zeros_like(drawn)))
    with pytest.raises(ValueError, match="sketch"):
        g(code, motion, emotion, intensity, sketch=torch.zeros(1, k, 16, 16))
    assert motion.shape[1] == MOTION_DIM and emotion.shape[1] == len(RIG_EMOTIONS)
