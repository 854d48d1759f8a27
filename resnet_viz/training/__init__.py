"""Training: the typed config, the engine (single process or data-parallel), evaluation, background jobs."""
