"""The sections of a run config: one typed class per section, every field with its default and a
comment that says what it does. `wgan.config.Config` gathers them and checks them against each other.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TOY_DATASETS = ("8gaussians", "25gaussians", "swissroll")
# The 2D-ring and 2D-grid of the mode-collapse papers at their own scale (`wgan compare --protocol`).
PROTOCOL_DATASETS = ("ring", "grid")
IMAGE_DATASETS = ("digits", "images")
CONV_ARCHS = ("dcgan", "resnet", "biggan")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataConfig(_Section):
    # A built-in toy distribution (ring and grid: the VEEGAN/PacGAN mixtures, unscaled); "points" for a user's file of (n, d) points (.npy or .csv);
    # "digits" for scikit-learn's 8x8 digits (built in); "images" for a user's image data at
    # `path` (MNIST IDX, CIFAR-10 python batches, a folder of PNG/JPEG, an .npy array).
    name: Literal[
        "8gaussians", "25gaussians", "swissroll", "ring", "grid", "points", "digits", "images"
    ] = "8gaussians"
    path: str | None = None  # the data file or directory, for "points" and "images"
    holdout_fraction: float = Field(0.2, gt=0.0, lt=1.0)  # share kept out for evaluation
    # A points file: train on each column standardised (mean 0, standard deviation 1 on the
    # training split), so that columns on different scales count alike; samples, distances and
    # plots stay in the data's units (wgan.data.scaling). Not for a CycleGAN's domains, nor the
    # built-in toys (at unit scale already).
    standardize: bool = True
    # Images: side of the square images the models see (None: the data's own), and channels
    # (1 grey, 3 RGB; None: the data's own). Other sizes are centre-cropped and resized.
    resolution: int | None = Field(None, ge=4, le=1024)
    channels: Literal[1, 3] | None = None
    # Images: 3 stacks three images of a grey labelled set, drawn independently and uniformly,
    # as the channels of one sample (Stacked MNIST: 10^3 modes, the triples of digits); 1: none.
    stack: Literal[1, 3] = 1
    # A fixed map applied to every sample (wgan.data.transforms): invert (x -> -x: negative
    # images, points reflected through 0) or rotate90 (a quarter turn); for CycleGAN demos.
    transform: Literal["none", "invert", "rotate90"] = "none"
    # gan sgan: how many training samples keep their labels, drawn evenly over the classes with
    # the run's seed (wgan.data.labelled); the rest train without them. None: not semi-supervised.
    labelled: int | None = Field(None, ge=1)


class ModelConfig(_Section):
    # mlp for points; dcgan (Radford et al. 2016), resnet (Gulrajani et al. 2017) or biggan
    # (Brock et al. 2019: class-conditional BatchNorm, hierarchical z; ResNet critic) for images.
    arch: Literal["mlp", "dcgan", "resnet", "biggan"] = "mlp"
    latent_dim: int = Field(2, ge=1)  # size of z ~ N(0, I)
    # Units per hidden layer (mlp); base channels (dcgan: the widest layers have 8x at most;
    # resnet: every block).
    generator_width: int = Field(512, ge=1)
    generator_depth: int = Field(3, ge=1)  # hidden layers (mlp; conv depths follow the resolution)
    critic_width: int = Field(512, ge=1)
    critic_depth: int = Field(3, ge=1)  # hidden layers (mlp)
    activation: Literal["relu", "leaky_relu", "elu", "gelu", "silu", "tanh"] = "relu"  # mlp
    # Normalisation in a dcgan/resnet critic: none, layernorm (over C, H, W of each sample),
    # sn (spectral norm of every weight), batchnorm (not with a gradient penalty).
    critic_norm: Literal["none", "layernorm", "sn", "batchnorm"] = "none"
    # The parts of PacGAN's toy networks (Lin et al. 2018), mlp only: maxout critic units (each the
    # largest of `critic_maxout` linear pieces, in place of the activation; 0 or 1: the
    # activation); BatchNorm in the generator's hidden layers; and initial weights
    # N(0, init_std^2) with zero biases in every Linear layer (None: PyTorch's default).
    critic_maxout: int = Field(0, ge=0)
    generator_norm: Literal["none", "batchnorm"] = "none"
    init_std: float | None = Field(None, gt=0.0)


class LipschitzConfig(_Section):
    # gp: two-sided penalty lambda * (||grad f(x_hat)|| - 1)^2 on random interpolates;
    # gp-one-sided: lambda * max(0, ||grad|| - 1)^2; clip: clamp every critic weight to [-clip, clip];
    # sn: spectral normalisation of every critic weight (Miyato et al. 2018); none: no constraint.
    # The weight constraints that Gulrajani et al. (2017) found to fail as clipping does: clip-norm
    # (each weight matrix's L2 norm clipped at norm_bound), weight-norm (weight normalisation, each
    # output unit's gain clipped at norm_bound), l1-decay and l2-decay (weight_decay * sum |W| or
    # sum W^2 added to the critic's loss). Independent of `loss`, except where
    # Config._check_combinations says why not.
    method: Literal[
        "gp",
        "gp-one-sided",
        "clip",
        "sn",
        "none",
        "clip-norm",
        "weight-norm",
        "l1-decay",
        "l2-decay",
    ] = "gp"
    gp_lambda: float = Field(10.0, ge=0.0)
    clip: float = Field(0.01, gt=0.0)
    norm_bound: float = Field(1.0, gt=0.0)  # clip-norm and weight-norm
    weight_decay: float = Field(1e-3, ge=0.0)  # l1-decay and l2-decay
    # What spectral normalisation (method sn, or model.critic_norm sn) divides each weight by:
    # reshaped, the largest singular value of the kernel reshaped to (out, in * k * k) (Miyato et
    # al. 2018; a convolution's operator norm can exceed it, by up to k for a k x k kernel);
    # exact, the operator norm of the layer on its input shape, so that each layer has norm 1.
    sn_norm: Literal["reshaped", "exact"] = "reshaped"


class InstanceNoiseConfig(_Section):
    # N(0, s^2) added to every sample the critic sees, real and generated, in critic and generator
    # steps (Sonderby et al. 2017; Arjovsky & Bottou 2017), s = std * max(0, 1 - step / anneal_steps).
    std: float = Field(0.0, ge=0.0)  # s at step 0, in data units; 0 turns instance noise off
    anneal_steps: int | None = Field(None, ge=1)  # generator steps to reach s = 0; None: the run's


class MinibatchConfig(_Section):
    # Minibatch discrimination (Salimans et al. 2016) before the critic's output layer.
    kernels: int = Field(0, ge=0)  # number of kernels; 0 turns it off
    kernel_dim: int = Field(5, ge=1)  # dimension of each kernel's projection


class StabilizerConfig(_Section):
    instance_noise: InstanceNoiseConfig = InstanceNoiseConfig()
    # Generator loss ||E f(x) - E f(G(z))||^2 on the critic's last hidden layer (Salimans et al.
    # 2016), in place of the loss's own generator loss; the critic keeps its loss.
    feature_matching: bool = False
    minibatch: MinibatchConfig = MinibatchConfig()
    # beta of BigGAN's orthogonal regularisation of the generator, beta * sum over its weights W
    # of ||W^T W * (1 - I)||_F^2, added to its loss (Brock et al. 2019: 1e-4); 0 turns it off.
    orthogonal_reg: float = Field(0.0, ge=0.0)


class EBGANConfig(_Section):
    # EBGAN (Zhao et al. 2017): the critic is an autoencoder, energy E(x) = ||Dec(Enc(x)) - x||.
    margin: float = Field(1.0, gt=0.0)  # m in L_D = E(x) + max(0, m - E(G(z))), in data units
    code_dim: int = Field(2, ge=1)  # size of the autoencoder's code Enc(x)
    pullaway_weight: float = Field(0.0, ge=0.0)  # weight of the pulling-away term in L_G; 0: off


class CGANConfig(_Section):
    # How a cGAN critic sees the label: projection, f(x, y) = w.phi(x) + b + e_y.phi(x) (Miyato &
    # Koyama 2018); concat, the one-hot label appended to the input (K constant channels for
    # images; Mirza & Osindero 2014). The generator always gets z with the one-hot label appended.
    critic: Literal["projection", "concat"] = "projection"


class ACGANConfig(_Section):
    # AC-GAN (Odena et al. 2017): weight of the auxiliary classifier's cross-entropy, on real and
    # generated samples in the critic's loss, on generated samples in the generator's.
    class_weight: float = Field(1.0, ge=0.0)


class InfoGANConfig(_Section):
    # InfoGAN (Chen et al. 2016): codes appended to z, a categorical c ~ Uniform{0..K-1} and
    # continuous u ~ U(-1, 1); Q, a head on the critic's features, estimates them, and both
    # players maximise the mutual-information lower bound L_I weighted by lambda (`weight`).
    categories: int = Field(10, ge=0)  # K, values of the categorical code; 0: none
    continuous: int = Field(2, ge=0)  # number of continuous codes
    weight: float = Field(1.0, ge=0.0)  # lambda; 0 leaves the codes free (a broken InfoGAN)


class SGANConfig(_Section):
    # The semi-supervised GAN (Salimans et al. 2016): the critic minimises L_unsupervised +
    # supervised_weight * L_supervised, the cross-entropy of its class logits on the labelled
    # examples (data.labelled); 1 is the paper's sum.
    supervised_weight: float = Field(1.0, gt=0.0)


class CycleGANConfig(_Section):
    # CycleGAN (Zhu et al. 2017) between data (domain A) and data_b (domain B): translators
    # G: A -> B and F: B -> A (model.generator_width/depth), a critic per domain.
    cycle_weight: float = Field(10.0, ge=0.0)  # lambda_cyc of |F(G(a)) - a|_1 + |G(F(b)) - b|_1
    # Of |G(b) - b|_1 + |F(a) - a|_1; the paper's 0.5 lambda_cyc keeps colours in photo <->
    # painting; 0 where the translation is not close to the identity (inversion, rotation).
    identity_weight: float = Field(0.0, ge=0.0)


class OptimizerConfig(_Section):
    name: Literal["adam", "rmsprop"] = "adam"
    lr_generator: float = Field(1e-4, gt=0.0)
    lr_critic: float = Field(1e-4, gt=0.0)
    betas: tuple[float, float] = (0.0, 0.9)  # Adam only
    lr_decay: Literal["constant", "linear"] = "constant"  # linear: to zero at decay_steps
    # The step where the linear decay reaches zero; a new run sets it to its `steps`, so that the
    # schedule is written in its config.yaml and an extension (`wgan resume --steps`) says what
    # it does to it.
    decay_steps: int | None = Field(None, ge=1)


class EvalConfig(_Section):
    every: int = Field(500, ge=1)  # generator steps between evaluations
    n: int = Field(2000, ge=10)  # samples per side for the exact W1 (and FID/KID for images)
    # Images: a local Inception-v3 weights file (torch-fidelity's format) for FID/KID/IS;
    # needs the `inception` extra. None: features of a classifier trained on labelled data.
    inception_weights: str | None = None
    # Images: also FID extrapolated to infinitely many generated samples (fid_infinity; five
    # FIDs on subsets, Chong & Forsyth 2020), about five times the cost of the FID.
    fid_infinity: bool = False


class CheckpointConfig(_Section):
    every: int = Field(1000, ge=1)  # generator steps between checkpoints
    # Also a checkpoint when this many minutes have passed since the last one (None: steps only),
    # so that a kill loses at most this much training, however slow a step is.
    every_minutes: float | None = Field(10.0, gt=0.0)
    keep: int = Field(3, ge=1)  # the newest checkpoints kept on disk


class NonFiniteConfig(_Section):
    # What a NaN or inf in a loss or a parameter does. stop: end the run with a message, keeping the
    # last good checkpoint. rollback: reload the last good checkpoint, scale both learning rates by
    # lr_factor and go on, at most max_rollbacks times, then stop.
    action: Literal["stop", "rollback"] = "stop"
    lr_factor: float = Field(0.5, gt=0.0, lt=1.0)
    max_rollbacks: int = Field(3, ge=1)


class LogConfig(_Section):
    every: int = Field(10, ge=1)  # generator steps between lines of metrics.jsonl
    # jsonl: metrics.jsonl alone. tensorboard: metrics.jsonl and TensorBoard events in
    # RUN_DIR/tensorboard (scalars, samples, critic gradient-norm histograms; the tensorboard extra).
    logger: Literal["jsonl", "tensorboard"] = "jsonl"
