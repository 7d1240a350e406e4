"""Training only: the loop, its config, losses, sync-expert pretraining, sample sheets. Never imported by inference."""
