"""`gan-eval`: expression, lip-sync, face and fidelity measures of a checkpoint against the actor."""
