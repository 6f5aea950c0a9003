"""Artifacts: their schemas, reading and validating, atomic writes, streaming, provenance, results.json, model cards."""
