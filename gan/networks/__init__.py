"""The GAN's networks, one per file, named by their role.

- `IdentityEncoder` (identity_encoder.py): reference image -> identity code, run once per avatar.
- `Generator` (generator.py): identity code + motion + emotion + intensity -> RGB frame (v1, 128 px).
- `RigGenerator` (rig_generator.py): ARKit rig + pose + emotion + intensity -> 256 px frame (v2),
  drawing its spatial conditioning in-graph with `RigSketch` (rig_sketch.py) from the actor's
  keypoint basis (keypoints.py).
- `PatchDiscriminator`, `TemporalDiscriminator` (discriminators.py): real/fake critics.
- `SyncExpert` (sync.py): mouth crops vs mel window -> in-sync score (frozen loss network).
- `AudioToMotion` (audio2motion.py): mel windows + emotion -> per-frame visemes.
"""

from gan.networks.audio2motion import AudioToMotion
from gan.networks.discriminators import PatchDiscriminator, TemporalDiscriminator
from gan.networks.generator import Generator
from gan.networks.identity_encoder import IdentityEncoder
from gan.networks.rig_generator import RigGenerator
from gan.networks.rig_sketch import RigSketch
from gan.networks.sync import SyncExpert

__all__ = [
    "AudioToMotion",
    "Generator",
    "IdentityEncoder",
    "PatchDiscriminator",
    "RigGenerator",
    "RigSketch",
    "SyncExpert",
    "TemporalDiscriminator",
]
