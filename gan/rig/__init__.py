"""The avatar's rig. v2 (actor v2, ARKit): arkit (parameter space, KEPT), expressions, lipsync,
idle_arkit, performance. v1 (2D actor, until v2 ships): params, visemes, idle, articulation, sketch."""
