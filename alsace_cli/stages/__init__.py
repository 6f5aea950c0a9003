"""One module per stage of the method; each exposes a typed config and one function that runs it."""
