"""DR topologies across the primary and DR stacks: derivation, estimates, runbook."""
