"""The demos and experiment reports: what `wgan demo`, `wgan compare` and `wgan bench` run.

They use the library and are not part of it: nothing outside this package imports it.
:mod:`~wgan.demos.distances` (the textbook distances), :mod:`~wgan.demos.theory` (the GAN
theory of the notes), :mod:`~wgan.demos.findings` (findings of the WGAN papers),
:mod:`~wgan.demos.compare` (GAN methods on the toy data) and :mod:`~wgan.demos.bench` (speed).
Their files are written by :mod:`wgan.reporting.files`.
"""
