"""Measures of how close generated samples are to real ones."""
