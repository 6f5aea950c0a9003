"""The thin Typer layer: each command parses options, resolves a typed config and calls one function."""
