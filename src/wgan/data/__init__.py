"""Data: the toy distributions, point files, and the sources that feed training (sources.py)."""
