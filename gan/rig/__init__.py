"""The avatar's rig: motion parameters, visemes, idle motion, emotional articulation, the sketch."""
