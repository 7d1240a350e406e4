"""The synthetic actor: renders training clips and is the generator's fidelity reference.

v2 (issue 14), a 3D head rendered headless on the CPU: `render.HeadRenderer` (moderngl/EGL) draws the
asset that `scripts/build_actor_assets.py` bakes into `assets/` (`assets.py` reads it; `mesh.py`
mixes the ARKit blendshapes; `camera.py` fixes the camera and pose convention; `keypoints.py` is the
generator's keypoint basis). Build-time modules: `mhobj.py`, `identity.py`, `crop.py`, `collar.py`,
`eyes.py`, `hair.py`, `ao.py`, `uvbake.py`, `textures.py`. The v1 2D actor (`*2d.py`, `clips.py`)
stays until v2 ships. Nothing here is imported by inference, and this package imports nothing on
purpose (so `gan.actor.keypoints` does not pull in OpenGL).
"""
