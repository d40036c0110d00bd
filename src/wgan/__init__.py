"""wgan: Wasserstein GANs, checked against exact optimal-transport distances."""

__version__ = "0.1.0"
