"""The synthetic actor: renders training clips and is the generator's fidelity reference."""
