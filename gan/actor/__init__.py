"""The synthetic actor: renders training clips and is the generator's fidelity reference.

A 3D head (issue 14) rendered headless on the CPU: `render.HeadRenderer` (moderngl/EGL) draws
the asset that `scripts/build_actor_assets.py` bakes into `assets/` (`assets.py` reads it; `mesh.py`
mixes the ARKit blendshapes; `camera.py` fixes the camera and pose convention; `keypoints.py` is the
generator's keypoint basis). Build-time modules: `mhobj.py`, `identity.py`, `crop.py`, `collar.py`,
`eyes.py`, `hair.py`, `ao.py`, `uvbake.py`, `textures.py`. Nothing here is imported by inference,
and this package imports nothing on purpose (so `gan.actor.keypoints` does not pull in OpenGL).
"""
