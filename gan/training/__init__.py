"""Training only: the loop, losses, sync-expert pretraining, inference export. Never imported by inference."""
