"""Lipschitz bounds of critics (wgan.lipschitz.bounds) against exact operator norms and measured
gradients, and the exact spectral norm (wgan.lipschitz.spectral) against Miyato's."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from sklearn.datasets import load_digits
from torch import Tensor, nn

from conftest import tiny_image_config
from wgan.cli import main
from wgan.lipschitz import LipschitzBounds, critic_lipschitz_bound, spectral_normalize_
from wgan.lipschitz.bounds import GELU_CONSTANT, SILU_CONSTANT, lanczos, lanczos_factor, linear_map
from wgan.metrics.critic import input_gradient_norms
from wgan.models.autoencoder import AutoencoderCritic
from wgan.models.conditional import AuxiliaryCritic, LabelConcatCritic, ProjectionCritic
from wgan.models.dcgan import DCGANCritic
from wgan.models.mlp import MLPCritic
from wgan.models.resnet import ResNetCritic, _DownBlock, _FirstBlock
from wgan.training.trainer import Trainer

CPU = torch.device("cpu")
Critic = Callable[[Tensor], Tensor]


def _bounds(**fields: int) -> LipschitzBounds:
    return LipschitzBounds(device=CPU, **fields)


def _jacobian_norm(f: Critic, x: Tensor) -> float:
    """||Df(x)||_2 of a map of one sample, from autograd's full Jacobian (float64)."""
    x = x.double()
    jac = torch.autograd.functional.jacobian(lambda v: f(v[None])[0], x)
    return float(torch.linalg.matrix_norm(jac.reshape(jac.shape[: -x.dim()].numel(), -1), 2))


def _digits(n: int = 64) -> Tensor:
    """Held-in scikit-learn digits in [-1, 1], (n, 1, 8, 8): data-like images."""
    pixels = torch.as_tensor(load_digits().images[:n], dtype=torch.float32)
    return (pixels / 8.0 - 1.0)[:, None]


def measured_lipschitz(f: Critic, inputs: list[Tensor], *, steps: int = 40) -> float:
    """Lower bounds on f's Lipschitz constant: the largest input-gradient norm at the inputs,
    at interpolates between them, after gradient ascent on the gradient norm (which moves where
    f is smooth), and the largest |f(x) - f(y)| / ||x - y|| found by gradient ascent on pairs
    (which moves piecewise-linear critics too)."""
    torch.manual_seed(0)
    first, second = inputs[0], inputs[-1].roll(1, 0)
    eps = torch.rand(len(first), *([1] * (first.dim() - 1)))
    points = [*inputs, eps * first + (1 - eps) * second]
    best = max(float(input_gradient_norms(f, x).max()) for x in points)
    x = first.clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=0.05)
    for _ in range(steps):
        (grad,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)
        norms = grad.flatten(1).norm(dim=1)
        best = max(best, float(norms.detach().max()))
        opt.zero_grad()
        (-norms.sum()).backward()
        opt.step()
    x = first.clone().requires_grad_(True)
    y = (first + 0.1 * torch.randn_like(first)).requires_grad_(True)
    opt = torch.optim.Adam([x, y], lr=0.05)
    for _ in range(steps):
        quotient = (f(x) - f(y)).flatten().abs() / (x - y).flatten(1).norm(dim=1)
        best = max(best, float(quotient.detach().max()))
        opt.zero_grad()
        (-quotient.sum()).backward()
        opt.step()
    return best


# ---- parts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "constant"),
    [
        (nn.ReLU(), 1.0),
        (nn.LeakyReLU(0.2), 1.0),
        (nn.LeakyReLU(-3.0), 3.0),
        (nn.ELU(alpha=2.0), 2.0),
        (nn.Tanh(), 1.0),
        (nn.Sigmoid(), 0.25),
        (nn.GELU(), GELU_CONSTANT),
        (nn.SiLU(), SILU_CONSTANT),
    ],
    ids=lambda p: type(p).__name__ if isinstance(p, nn.Module) else str(p),
)
def test_activation_constants_are_the_largest_slope(layer: nn.Module, constant: float) -> None:
    x = torch.linspace(-30, 30, 600_001, dtype=torch.float64, requires_grad=True)
    (slope,) = torch.autograd.grad(layer(x).sum(), x)
    largest = float(slope.abs().max())
    assert _bounds().chain([layer], (1,)) == constant
    assert largest <= constant < largest + 1e-4


CONVS: dict[str, Callable[[], nn.Conv2d]] = {
    "3x3": lambda: nn.Conv2d(4, 6, 3, padding=1),
    "4x4-stride2": lambda: nn.Conv2d(3, 5, 4, stride=2, padding=1),
    "3x3-stride2-odd": lambda: nn.Conv2d(2, 4, 3, stride=2, padding=1),
    "dilated-grouped": lambda: nn.Conv2d(4, 4, 3, padding=2, dilation=2, groups=2),
    "1x1": lambda: nn.Conv2d(6, 3, 1),
}


@pytest.mark.parametrize("name", list(CONVS))
def test_a_convolution_is_bounded_by_its_exact_operator_norm(name: str) -> None:
    torch.manual_seed(0)
    conv = CONVS[name]()
    shape = (conv.in_channels, 7, 7)
    exact = _jacobian_norm(conv.double(), torch.zeros(shape))
    conv.float()
    reshaped = float(torch.linalg.matrix_norm(conv.weight.detach().flatten(1).double(), 2))
    if conv.kernel_size != (1, 1):
        assert abs(exact / reshaped - 1) > 0.05  # so the reshaped kernel's norm would fail here
    assert _bounds().of(conv, shape) == pytest.approx(exact, rel=1e-9)
    steps, n = 64, math.prod(shape)
    certified = _bounds(explicit_work=0, steps=steps).of(conv, shape)
    assert certified is not None
    factor = math.sqrt(lanczos_factor(n, steps, 1e-6))
    assert exact <= certified <= exact * factor * (1 + 1e-9)
    assert certified / factor == pytest.approx(exact, rel=1e-6)  # Lanczos has converged


def test_a_linear_layer_is_bounded_by_its_largest_singular_value() -> None:
    torch.manual_seed(0)
    layer = nn.Linear(40, 30)
    sigma = float(torch.linalg.svdvals(layer.weight.detach().double())[0])
    assert _bounds().of(layer, (40,)) == pytest.approx(sigma, rel=1e-12)
    certified = _bounds(explicit_work=0).of(layer, (40,))
    assert certified is not None and sigma <= certified


def test_lanczos_factor_is_about_two_percent_at_64_steps() -> None:
    for n in (10**3, 10**4, 10**5, 10**6):
        assert 1.01 < math.sqrt(lanczos_factor(n, 64, 1e-6)) < 1.025
    assert lanczos_factor(10**4, 128, 1e-6) < lanczos_factor(10**4, 64, 1e-6)


def test_the_lanczos_bound_holds_from_random_starts_on_a_hard_spectrum() -> None:
    # One eigenvalue 1 above 1999 spread up to 0.999: few steps stop well below 1, and the factor
    # must cover the gap from every start.
    n, steps = 2000, 8
    values = torch.cat([torch.ones(1), torch.linspace(0, 0.999, n - 1)]).double()
    gen = torch.Generator().manual_seed(0)
    thetas = [
        lanczos(lambda v: values * v, torch.randn(n, generator=gen, dtype=torch.float64), steps)[0]
        for _ in range(200)
    ]
    assert max(thetas) < 0.995
    assert min(thetas) * lanczos_factor(n, steps, 1e-6) >= 1.0


# ---- spectral normalisation -----------------------------------------------------------------


def _normalised_conv(norm: str, kernel: Tensor, padding: int, stride: int = 1) -> nn.Conv2d:
    conv = nn.Conv2d(kernel.shape[1], kernel.shape[0], kernel.shape[2], stride, padding)
    with torch.no_grad():
        conv.weight.copy_(kernel)
    return spectral_normalize_(conv, norm)  # type: ignore[return-value]


def test_a_miyato_normalised_convolution_exceeds_one_an_exact_one_does_not() -> None:
    # A constant 3x3 kernel: its reshaped (1, 9) matrix has norm 3, the convolution of a constant
    # 16x16 image about 9 (less at the zero-padded border).
    shape = (1, 16, 16)
    norms = {}
    for norm in ("reshaped", "exact"):
        conv = _normalised_conv(norm, torch.ones(1, 1, 3, 3), padding=1)
        for _ in range(30):  # training forward passes: power steps
            conv(torch.randn(2, *shape))
        conv.eval()
        norms[norm] = _jacobian_norm(conv.double(), torch.zeros(shape))
        # (the bound reads the fp32 weight, the Jacobian a float64 copy's)
        assert critic_lipschitz_bound(conv.float(), shape) == pytest.approx(norms[norm], rel=1e-6)
    assert norms["reshaped"] == pytest.approx(2.932, abs=5e-4)  # docs/gan-family.md
    assert 1.0 - 1e-9 < norms["exact"] < 1.0 + 1e-6


@pytest.mark.parametrize(("k", "stride"), [(3, 1), (4, 1), (4, 2), (5, 2)])
def test_a_convolution_exceeds_its_reshaped_kernel_by_at_most_k(k: int, stride: int) -> None:
    # Each input pixel enters at most ceil(k / stride)^2 patches, each patch is mapped by the
    # reshaped kernel: ||conv|| <= ceil(k / stride) ||W_reshaped||.
    torch.manual_seed(0)
    shape = (2, 12, 12)
    for kernel in [torch.randn(3, 2, k, k) for _ in range(5)] + [torch.ones(3, 2, k, k)]:
        conv = nn.Conv2d(2, 3, k, stride, padding=k // 2, bias=False)
        with torch.no_grad():
            conv.weight.copy_(kernel)
        ratio = _bounds().of(conv, shape) / float(torch.linalg.matrix_norm(kernel.flatten(1), 2))
        assert 1.0 <= ratio <= math.ceil(k / stride)
    if stride == 1:
        assert ratio > 0.85 * k  # the constant kernel comes close to k


@pytest.mark.parametrize(("k", "stride", "side"), [(3, 1, 8), (4, 2, 8), (3, 2, 9)])
def test_exact_normalisation_is_one_from_the_first_forward_pass(
    k: int, stride: int, side: int
) -> None:
    torch.manual_seed(0)
    conv = _normalised_conv("exact", torch.randn(6, 3, k, k), padding=1, stride=stride)
    conv.eval()
    conv(torch.randn(1, 3, side, side))  # sizes the estimate (Lanczos), in eval mode
    # (1 - 1e-6: the estimate is computed in fp32)
    assert 1.0 - 1e-6 < _jacobian_norm(conv.double(), torch.zeros(3, side, side)) < 1.0 + 1e-4
    conv.float()
    with torch.no_grad():  # a large update moves the top singular vector
        conv.parametrizations.weight.original.mul_(1 + 0.5 * torch.randn(6, 3, k, k))
    moved = _jacobian_norm(conv.double(), torch.zeros(3, side, side))
    conv.float().train()
    for _ in range(200):  # training passes: one power step each
        conv(torch.randn(1, 3, side, side))
    conv.eval()
    followed = _jacobian_norm(conv.double(), torch.zeros(3, side, side))
    assert 1.0 - 1e-6 < followed < 1.0 + 1e-2 and followed - 1 < (moved - 1) / 10


def test_an_exactly_normalised_layer_is_sized_by_its_first_input_and_loads_its_state() -> None:
    torch.manual_seed(0)
    critic = DCGANCritic(channels=1, resolution=8, width=4, norm="sn", sn_norm="exact")
    with pytest.raises(RuntimeError, match="first forward pass"):
        critic.head.weight  # noqa: B018
    x = _digits(8)
    critic(x)
    state = critic.state_dict()
    assert state["body.0.parametrizations.weight.0.v"].shape == (1, 1, 8, 8)
    assert state["head.parametrizations.weight.0.v"].shape == (1, 8 * 2 * 2)
    fresh = DCGANCritic(channels=1, resolution=8, width=4, norm="sn", sn_norm="exact")
    fresh.load_state_dict(state)  # unsized: takes the stored vectors' shapes
    critic.eval()
    fresh.eval()
    assert torch.equal(fresh(x), critic(x))
    with pytest.raises(ValueError, match="sized for inputs"):
        critic(torch.zeros(1, 1, 16, 16))


@pytest.mark.usefixtures("fast_classifier")
def test_evaluating_before_the_first_step_does_not_change_an_exact_sn_run(tmp_path: Path) -> None:
    config = tiny_image_config(
        model={"critic_norm": "sn", "latent_dim": 8, "generator_width": 4, "critic_width": 4},
        lipschitz={"method": "gp", "sn_norm": "exact"},
    )
    plain = Trainer(config, tmp_path / "a", quiet=True)
    watched = Trainer(config, tmp_path / "b", quiet=True)
    watched.evaluate(40)  # the critic's first forward pass, in eval mode
    for _ in range(3):
        plain.train_step()
        watched.train_step()
    for model in ("critic", "generator"):
        a, b = getattr(plain, model).state_dict(), getattr(watched, model).state_dict()
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# ---- whole critics --------------------------------------------------------------------------


def _critic(arch: str, sn: str) -> tuple[nn.Module, tuple[int, ...]]:
    if arch.startswith("mlp"):
        activation = arch.partition("-")[2] or "relu"
        critic: nn.Module = MLPCritic(2, width=32, depth=3, activation=activation)
        if sn != "none":
            spectral_normalize_(critic, sn)
        return critic, (2,)
    norm = "none" if sn == "none" else "sn"
    sn_norm = "reshaped" if sn == "none" else sn
    if arch == "dcgan":
        return DCGANCritic(channels=1, resolution=8, width=8, norm=norm, sn_norm=sn_norm), (1, 8, 8)
    return ResNetCritic(channels=1, width=8, norm=norm, sn_norm=sn_norm), (1, 8, 8)


def _data(shape: tuple[int, ...]) -> Tensor:
    if len(shape) == 1:
        angles = torch.arange(64) * (2 * math.pi / 8)
        return 2 * torch.stack([angles.cos(), angles.sin()], 1) + 0.02 * torch.randn(64, 2)
    return _digits()


def _train(critic: nn.Module, real: Tensor, steps: int = 10) -> None:
    """A few critic steps of the WGAN loss against noise, without a penalty: the weights move
    far from their initial values."""
    opt = torch.optim.Adam(critic.parameters(), lr=1e-2)
    for _ in range(steps):
        loss = critic(torch.randn_like(real)).mean() - critic(real).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()


@pytest.mark.parametrize("trained", [False, True], ids=["init", "trained"])
@pytest.mark.parametrize("sn", ["none", "reshaped", "exact"])
@pytest.mark.parametrize("arch", ["mlp", "mlp-gelu", "dcgan", "resnet"])
def test_measured_gradients_never_exceed_the_bound(arch: str, sn: str, trained: bool) -> None:
    torch.manual_seed(0)
    critic, shape = _critic(arch, sn)
    real = _data(shape)
    critic(real)
    if trained:
        _train(critic, real)
    critic.eval()
    bound = critic_lipschitz_bound(critic, shape)
    certified = _bounds(explicit_work=0).of(critic, shape)
    assert bound is not None and certified is not None
    assert bound <= certified * (1 + 1e-9)  # each part's certified bound is above its norm
    measured = measured_lipschitz(critic, [real, torch.randn_like(real)])
    assert 0 < measured <= bound
    if sn == "exact" and arch in ("mlp", "dcgan") and not trained:
        # Layers of norm 1, activations of slope at most 1. (Training moves the weights faster
        # than one power step a forward pass follows, which the bound then shows.)
        assert bound < 1.0 + 1e-4


def test_a_residual_block_is_bounded_by_the_sum_of_its_branches() -> None:
    torch.manual_seed(0)
    x = torch.randn(8, 8, 8)
    # Main branch zero: the block is its shortcut (the identity, or pooling and a 1x1
    # convolution), whose norm the bound must give exactly.
    for block in (_DownBlock(8, 8, down=False, norm="none"), _FirstBlock(8, 6)):
        block.eval()
        with torch.no_grad():
            block.main[-1].weight.zero_()
        exact = _jacobian_norm(block.double(), x)
        assert _bounds().of(block.float(), tuple(x.shape)) == pytest.approx(exact, rel=1e-9)
    block = _DownBlock(8, 8, down=True, norm="none").eval()
    bound = _bounds().of(block, tuple(x.shape))
    assert bound is not None
    assert max(_jacobian_norm(block.double(), x + torch.randn_like(x)) for _ in range(5)) <= bound


def test_wrapped_critics_are_bounded() -> None:
    torch.manual_seed(0)
    real = _data((2,))
    labels = torch.arange(64) % 3
    base = MLPCritic(2, width=16, depth=2, activation="relu")
    projection = ProjectionCritic(base, 3)
    concat = LabelConcatCritic(MLPCritic(5, width=16, depth=2, activation="relu"), 3)
    for critic in (projection, concat):
        bound = critic_lipschitz_bound(critic, (2,))
        assert bound is not None
        for y in range(3):
            f = functools.partial(critic, labels=torch.full((64,), y))
            assert measured_lipschitz(f, [real, torch.randn_like(real)]) <= bound
        assert measured_lipschitz(functools.partial(critic, labels=labels), [real]) <= bound
    auxiliary = AuxiliaryCritic(base, 4)
    assert critic_lipschitz_bound(auxiliary, (2,)) == critic_lipschitz_bound(base, (2,))


def test_a_projection_critic_bound_is_tight_where_its_features_are_linear() -> None:
    # phi(x) = relu(x + 10) in its first two units is x + 10 near 0, so f(x, y) = e_y . x + c
    # there: slopes 3 and 4 for the two labels, with orthogonal embeddings and a zero head.
    base = MLPCritic(2, width=4, depth=1, activation="relu")
    critic = ProjectionCritic(base, 2)
    with torch.no_grad():
        base[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [0.0, 0.0]]))
        base[0].bias.copy_(torch.tensor([10.0, 10.0, 0.0, 0.0]))
        base.head.weight.zero_()
        critic.embed.weight.copy_(torch.tensor([[3.0, 0.0, 0.0, 0.0], [0.0, 4.0, 0.0, 0.0]]))
    assert critic_lipschitz_bound(critic, (2,)) == pytest.approx(4.0, rel=1e-12)
    slopes = input_gradient_norms(
        functools.partial(critic, labels=torch.ones(8).long()), torch.randn(8, 2)
    )
    torch.testing.assert_close(slopes, torch.full((8,), 4.0))


def test_an_autoencoder_critic_is_bounded_by_its_reconstruction_plus_one() -> None:
    torch.manual_seed(0)
    critic = AutoencoderCritic(2, width=16, depth=2, code_dim=2, activation="relu")
    real = _data((2,))
    bound = critic_lipschitz_bound(critic, (2,))
    assert bound is not None and 1.0 < bound
    assert measured_lipschitz(critic, [real, torch.randn_like(real)]) <= bound
    with torch.no_grad():
        critic.decoder[-1].weight.zero_()  # -||c - x||: exactly 1-Lipschitz
    assert critic_lipschitz_bound(critic, (2,)) == 1.0
    assert measured_lipschitz(critic, [real]) == pytest.approx(1.0, rel=1e-5)


def test_no_bound_where_a_score_is_not_lipschitz_in_a_useful_sense() -> None:
    for critic, shape in [
        (DCGANCritic(channels=1, resolution=8, width=4, norm="layernorm"), (1, 8, 8)),
        (ResNetCritic(channels=1, width=4, norm="layernorm"), (1, 8, 8)),
        (MLPCritic(2, width=8, depth=2, activation="relu", minibatch_kernels=3), (2,)),
    ]:
        assert critic_lipschitz_bound(critic, shape) is None
    assert linear_map(nn.BatchNorm2d(4).train()) is None  # each sample's output needs the batch


def test_a_batchnorm_critic_is_bounded_in_eval_mode() -> None:
    torch.manual_seed(0)
    critic = DCGANCritic(channels=1, resolution=8, width=8, norm="batchnorm")
    real = _data((1, 8, 8))
    _train(critic, real)  # moves the running statistics too
    critic.eval()
    bound = critic_lipschitz_bound(critic, (1, 8, 8))
    assert bound is not None
    assert measured_lipschitz(critic, [real, torch.randn_like(real)]) <= bound


def test_batchnorm_in_eval_mode_is_bounded_by_its_largest_scale() -> None:
    bn = nn.BatchNorm2d(3).eval()
    with torch.no_grad():
        bn.running_var.copy_(torch.tensor([0.25, 4.0, 1.0]) - bn.eps)
        bn.weight.copy_(torch.tensor([1.0, -6.0, 0.5]))  # scales 2, -3, 0.5
    x = torch.randn(3, 4, 4)
    assert _bounds().of(bn, (3, 4, 4)) == pytest.approx(3.0, rel=1e-6)  # fp32 statistics
    assert _jacobian_norm(bn.double(), x) == pytest.approx(3.0, rel=1e-6)


def test_the_bound_leaves_the_critic_and_the_random_streams_alone() -> None:
    torch.manual_seed(0)
    critic, shape = _critic("dcgan", "reshaped")
    critic(_digits(4))
    before = {k: v.clone() for k, v in critic.state_dict().items()}
    rng = torch.get_rng_state()
    first = critic_lipschitz_bound(critic, shape)
    assert critic.training and torch.equal(rng, torch.get_rng_state())
    for key, value in critic.state_dict().items():
        assert torch.equal(value, before[key]), key
    assert critic_lipschitz_bound(critic, shape) == first


# ---- wgan evaluate --------------------------------------------------------------------------


@pytest.mark.usefixtures("fast_classifier")
@pytest.mark.parametrize("norm", ["none", "layernorm"])
def test_evaluate_prints_the_bound(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], norm: str
) -> None:
    out = tmp_path / "run"
    tiny = ["--set", "model.critic_width=4", "--set", "model.generator_width=4"]
    tiny += ["--set", "batch_size=16", "--set", "eval.n=40", "--set", "precision=fp32"]
    argv = ["train", "digits-wgan-gp", "--steps", "2", "--out", str(out), "--device", "cpu"]
    assert main([*argv, *tiny, "--set", f"model.critic_norm={norm}", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(out), "--n", "40"]) == 0
    bound = json.loads(capsys.readouterr().out)["critic_lipschitz_bound"]
    if norm == "layernorm":
        assert bound is None
    else:
        assert isinstance(bound, float) and bound > 0
