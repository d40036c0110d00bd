"""The toy protocols of the mode-collapse papers, for `wgan compare --protocol veegan|pacgan`.

A protocol fixes what a method may not choose: the data (the 2D-ring and 2D-grid at their own
scale, `wgan.data.toy`), the networks, the batch, the number of generator steps, the number of
trials and the evaluation (2500 generated samples; a sample is high quality within 3 standard
deviations of its nearest mode; a mode is captured by at least one high-quality sample; PacGAN adds
the reverse KL of the modes' histogram against uniform, `wgan.metrics.modes`). A method brings the
rest (loss, Lipschitz constraint, optimiser) from its preset `<data set>-<method>` (e.g.
`grid-wgan-gp`); the protocol's settings are then written over it, so no preset can drift from them.

Where the settings come from: PacGAN's code (Lin et al. 2018, github.com/fjxmlzn/PacGAN,
synthetic_data_experiments/2D{Ring,Grid}_GAN&PacGAN/config.py and pacgan_task.py): ring of 8
Gaussians on the unit circle with std 0.01; grid of 25 at {-4, ..., 4}^2 with std 0.05; generator
z ~ N(0, I_2), 4 hidden layers of 400 ReLU units with BatchNorm; discriminator 3 hidden layers of
200 maxout units of 5 pieces; weights N(0, 0.02^2); batch 100; 400 epochs of 100 000 samples, that
is 400 000 updates of each player; 10 trials. VEEGAN (Srivastava et al. 2017) defines the same
metrics on 2500 samples (averaged over 5 runs there); its paper's network sizes and step counts were
not available to check, so `veegan` runs the same networks and schedule as `pacgan` (PacGAN's
reproduction of the VEEGAN setting) and differs in the published rows it is compared with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wgan.errors import UserError

# What every run of a protocol is given, written over the method's preset.
_PACGAN_SETTINGS: dict[str, Any] = {
    "batch_size": 100,
    "model": {
        "arch": "mlp",
        "latent_dim": 2,
        "generator_width": 400,
        "generator_depth": 4,
        "generator_norm": "batchnorm",
        "critic_width": 200,
        "critic_depth": 3,
        "critic_maxout": 5,
        "activation": "relu",
        "init_std": 0.02,
    },
}


# The setting that every PacGAN trial shares (VEEGAN's protocol runs it too, see above).
_PACGAN_SETUP: dict[str, Any] = {
    "datasets": ("ring", "grid"),
    "modes": {"ring": 8, "grid": 25},
    "methods": ("nsgan", "wgan-gp"),
    "trials": 10,
    "steps": 400_000,
    "eval_n": 2500,
    "settings": _PACGAN_SETTINGS,
}


@dataclass(frozen=True)
class Published:
    """A row of a paper's table: its means over the paper's trials, as printed."""

    method: str
    modes: float
    high_quality: float  # a fraction
    reverse_kl: float | None = None  # PacGAN's third column; VEEGAN has none


@dataclass(frozen=True)
class Protocol:
    name: str
    source: str  # the paper and table the published rows come from
    datasets: tuple[str, ...]
    modes: dict[str, int]  # the modes of each data set
    methods: tuple[str, ...]  # the wgan methods run by default (presets `<data set>-<method>`)
    trials: int
    steps: int  # generator steps of every run
    eval_n: int
    settings: dict[str, Any] = field(default_factory=dict)
    published: dict[str, tuple[Published, ...]] = field(default_factory=dict)

    def run_settings(self, dataset: str) -> dict[str, Any]:
        """The config diff written over a method's preset for `dataset`."""
        return self.settings | {"data": {"name": dataset}}


PROTOCOLS: dict[str, Protocol] = {
    "pacgan": Protocol(
        name="pacgan",
        source="PacGAN (Lin et al. 2018), Table 1: means over 10 trials",
        **_PACGAN_SETUP,
        published={
            "ring": (
                Published("GAN", 6.3, 0.982, 0.45),
                Published("ALI", 6.6, 0.976, 0.36),
                Published("Minibatch discrimination", 4.3, 0.366, 1.93),
                Published("PacGAN2", 7.9, 0.956, 0.07),
                Published("PacGAN3", 7.8, 0.977, 0.10),
                Published("PacGAN4", 7.8, 0.959, 0.07),
            ),
            "grid": (
                Published("GAN", 17.3, 0.948, 0.70),
                Published("ALI", 24.1, 0.957, 0.14),
                Published("Minibatch discrimination", 23.8, 0.799, 0.17),
                Published("PacGAN2", 23.8, 0.913, 0.13),
                Published("PacGAN3", 24.6, 0.942, 0.06),
                Published("PacGAN4", 24.8, 0.936, 0.04),
            ),
        },
    ),
    "veegan": Protocol(
        name="veegan",
        source="VEEGAN (Srivastava et al. 2017), Table 1: means over 5 runs",
        **_PACGAN_SETUP,
        published={
            "ring": (
                Published("GAN", 1.0, 0.993),
                Published("ALI", 2.8, 0.0013),
                Published("Unrolled GAN", 7.6, 0.356),
                Published("VEEGAN", 8.0, 0.529),
            ),
            "grid": (
                Published("GAN", 3.3, 0.005),
                Published("ALI", 15.8, 0.016),
                Published("Unrolled GAN", 23.6, 0.16),
                Published("VEEGAN", 24.6, 0.40),
            ),
        },
    ),
}


def get_protocol(name: str) -> Protocol:
    if name not in PROTOCOLS:
        raise UserError(f"unknown protocol {name!r}; choose from {', '.join(PROTOCOLS)}")
    return PROTOCOLS[name]
