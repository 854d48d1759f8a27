"""The run store (one folder per training run), sets of twin runs, per-session scratch, run transfer."""
