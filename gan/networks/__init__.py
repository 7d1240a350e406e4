"""The GAN's networks, one per file, named by their role.

- `RigGenerator` (rig_generator.py): ARKit rig + pose + emotion + intensity -> 256 px frame, drawing
  its spatial conditioning in-graph with `RigSketch` (rig_sketch.py) from the actor's keypoint
  basis (keypoints.py).
- `PatchDiscriminator`, `TemporalDiscriminator` (discriminators.py): real/fake critics (training only).
- `SyncExpert` (sync.py): mouth crops vs mel window -> in-sync score (frozen loss network, training only).
"""

from gan.networks.discriminators import PatchDiscriminator, TemporalDiscriminator
from gan.networks.rig_generator import RigGenerator
from gan.networks.rig_sketch import RigSketch
from gan.networks.sync import SyncExpert

__all__ = [
    "PatchDiscriminator",
    "RigGenerator",
    "RigSketch",
    "SyncExpert",
    "TemporalDiscriminator",
]
