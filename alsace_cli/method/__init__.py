"""The method's pure rules: voting, selection, pairing, KL weights, losses, paired tests and the verdict.

No file, model or device code: each module is a function of arrays and frames, tested on its own."""
