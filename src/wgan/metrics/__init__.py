"""Measures of how close generated samples are to real ones."""

from wgan.metrics.prdc import PRDC, RealManifold, density_coverage, prdc_metrics, precision_recall

__all__ = ["PRDC", "RealManifold", "density_coverage", "prdc_metrics", "precision_recall"]
