"""Training: one loop (trainer.py) that every objective (objectives/) and teacher (teachers.py) plugs into,
with the checks that decide which weights are kept (checks.py, guard.py) and the checkpoints that let an
interrupted run resume (checkpoints.py)."""
