"""The avatar's rig (ARKit, actor v2): arkit (parameter space, KEPT channels), expressions (emotions as
FACS blends, data in expressions.json), lipsync (phonemes -> mouth channels), idle_arkit (blinks, gaze,
sway), performance (all of them composed per frame), motion_estimate (face geometry from landmarks)."""
