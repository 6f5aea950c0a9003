"""Where the code runs: devices and precision, processes, model loading, inference, batching, tiny local models, and the console (report)."""
