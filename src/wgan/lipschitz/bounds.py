"""Upper bounds on a critic's Lipschitz constant with respect to its input (Euclidean norms).

A composition f = g_L o ... o g_1 is Lipschitz with at most the product of its parts' constants,
and a residual block x -> a(x) + b(x) with at most the sum of its branches'. The parts here are
linear maps (runs of linear layers: linear, convolution, average pooling, flatten, BatchNorm in
eval mode; their biases do not change a constant), bounded by their exact operator norm on their
actual input shape, and elementwise activations, bounded by the supremum of their derivative
(`activation_constant`). A critic whose forward is not a plain sequence of such parts says how
they combine in a `lipschitz_bound(shape, bounds)` method (the models do). A part with no such
bound (LayerNorm, BatchNorm in train mode, minibatch discrimination, anything unknown) makes the
whole bound None.

The operator norm of a linear map is computed two ways:

- explicitly, where that is cheap (`explicit_work`): the Jacobian J is built (one pass per input
  or per output, batched) and the largest eigenvalue of the smaller of J J^T and J^T J taken
  (exact to rounding);
- otherwise by the Lanczos iteration on J^T J (a vector-Jacobian product per step, float64) from
  a Gaussian start vector. The largest Ritz value theta is a lower bound on ||J||^2, and
  `lanczos_factor` turns it into an upper bound that holds with probability at least
  1 - `failure` over the start vector, for any matrix (the Chebyshev-polynomial argument of
  Kuczynski & Wozniakowski 1992, made explicit in `lanczos_factor`). With 64 steps the factor on
  ||J|| is about 1.02 for 10^3 to 10^6 inputs (a failure probability of 10^-6).

Constants of the whole critic multiply, so the bound is usually far above the largest gradient
norm the critic really has; it says what K a critic's W estimate can at most be scaled by.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, runtime_checkable

import torch
from torch import Tensor, nn
from torch.nn import functional as F

Shape = tuple[int, ...]
LinearMap = Callable[[Tensor], Tensor]

# sup |phi'| of GELU (the exact, erf one: 1.128904 at x = sqrt(2)) and SiLU (1.099839 near
# x = 2.3994), rounded up; tests/test_lipschitz_bound.py checks them on a grid.
GELU_CONSTANT = 1.1290
SILU_CONSTANT = 1.0999

DEFAULT_STEPS = 64  # Lanczos steps per linear map: a bound within about 2% of the norm


def activation_constant(layer: nn.Module) -> float | None:
    """The Lipschitz constant sup |phi'| of an elementwise activation; None for anything else."""
    if isinstance(layer, nn.ReLU | nn.Tanh):
        return 1.0
    if isinstance(layer, nn.LeakyReLU):
        return max(1.0, abs(layer.negative_slope))
    if isinstance(layer, nn.ELU):
        return max(1.0, layer.alpha)
    if isinstance(layer, nn.Sigmoid):
        return 0.25
    if isinstance(layer, nn.SiLU):
        return SILU_CONSTANT
    if isinstance(layer, nn.GELU) and layer.approximate == "none":
        return GELU_CONSTANT
    return None


def linear_map(layer: nn.Module) -> LinearMap | None:
    """The linear part (bias dropped) of a layer that is affine, in float64 with its effective
    weight (a parametrized weight as the layer uses it in its current mode); None otherwise.

    BatchNorm is affine only in eval mode, with running statistics (in train mode each sample's
    output depends on the batch).
    """
    if isinstance(layer, nn.Linear):
        weight = layer.weight.detach().double()
        return lambda x: F.linear(x, weight)
    if isinstance(layer, nn.Conv1d | nn.Conv2d | nn.Conv3d):
        kernel = layer.weight.detach().double()
        conv = layer
        return lambda x: conv._conv_forward(x, kernel, None)
    if isinstance(layer, nn.modules.batchnorm._BatchNorm):
        if layer.training or layer.running_var is None:
            return None
        scale = (layer.running_var.double() + layer.eps).rsqrt()
        if layer.weight is not None:
            scale = scale * layer.weight.detach().double()
        return lambda x: x * scale.view(-1, *([1] * (x.dim() - 2)))
    if isinstance(
        layer,
        nn.Identity
        | nn.Flatten
        | nn.AvgPool1d
        | nn.AvgPool2d
        | nn.AvgPool3d
        | nn.AdaptiveAvgPool1d
        | nn.AdaptiveAvgPool2d
        | nn.AdaptiveAvgPool3d,
    ):
        return layer
    return None


def _compose(maps: Sequence[LinearMap]) -> LinearMap:
    def composed(x: Tensor) -> Tensor:
        for apply in maps:
            x = apply(x)
        return x

    return composed


def lanczos(matvec: Callable[[Tensor], Tensor], start: Tensor, steps: int) -> tuple[float, Tensor]:
    """(theta, y): the largest Ritz value of a symmetric positive semi-definite operator M on the
    Krylov space of `start` after `steps` products, and its Ritz vector (unit norm, the shape of
    `start`). theta = y^T M y is a lower bound on the largest eigenvalue.

    The Lanczos vectors are reorthogonalised in full (twice), and the Ritz values are those of
    Q^T M Q itself (the products' inner products with every vector, not the three-term
    recurrence). When the Krylov space is invariant to working precision (the new direction is
    below sqrt(eps) of the largest product), the iteration stops: theta is then M's largest
    eigenvalue, and going on would orthogonalise rounding noise.
    """
    n = start.numel()
    basis = start.new_zeros(steps, n)
    basis[0] = start.flatten() / start.norm()
    projected = torch.zeros(steps, steps, dtype=torch.float64)
    m, scale, tolerance = steps, 0.0, torch.finfo(start.dtype).eps ** 0.5
    for i in range(steps):
        w = matvec(basis[i].view_as(start)).flatten()
        scale = max(scale, float(w.norm()))
        column = (basis[: i + 1] @ w).double()
        projected[: i + 1, i] = column
        projected[i, : i + 1] = column
        if i == steps - 1:
            break
        for _ in range(2):
            w = w - basis[: i + 1].T @ (basis[: i + 1] @ w)
        beta = w.norm()
        if beta <= tolerance * scale:
            m = i + 1
            break
        basis[i + 1] = w / beta
    values, vectors = torch.linalg.eigh(projected[:m, :m])
    ritz = basis[:m].T @ vectors[:, -1].to(basis)
    return float(values[-1]), (ritz / ritz.norm()).view_as(start)


def lanczos_factor(n: int, steps: int, failure: float) -> float:
    """c >= 1 with lambda_max(M) <= c * theta, with probability >= 1 - failure over a Gaussian
    start vector, for every n x n symmetric positive semi-definite M; theta the largest Ritz value
    of `steps` Lanczos steps (a Krylov space holding p(M) b for every polynomial of degree
    k = steps - 1).

    With b = sum c_i u_i in M's eigenvectors and, for 0 < eps < 1, the Chebyshev polynomial
    p(x) = T_k(2x / ((1 - eps) lambda_1) - 1), |p| <= 1 below (1 - eps) lambda_1 and p >= 1 above,
    with p(lambda_1) = tau = T_k((1 + eps) / (1 - eps)); the Rayleigh quotient of p(M) b is then at
    least (1 - eps) lambda_1 / (1 + R / tau^2), R = sum_{i>1} c_i^2 / c_1^2. So
    lambda_1 <= theta (1 + R / tau^2) / (1 - eps) for every eps, and the least over a grid of eps
    is taken. R is at most R_max = ((n-1) + 2 sqrt((n-1) x) + 2x) / a^2 unless |c_1| < a
    (probability <= a sqrt(2/pi)) or the chi-square sum_{i>1} c_i^2 exceeds its Laurent-Massart
    bound (probability <= e^-x); each is given half of `failure`.
    """
    if steps < 2:
        raise ValueError(f"the bound needs at least 2 Lanczos steps, got {steps}")
    k = steps - 1
    a = failure / 2 * math.sqrt(math.pi / 2)
    x = math.log(2 / failure)
    log_r = math.log((n - 1) + 2 * math.sqrt((n - 1) * x) + 2 * x) - 2 * math.log(a)
    best = math.inf
    for i in range(1, 400):
        eps = 10 ** (-8 + 8 * i / 400)  # 1e-8 ... 0.95
        z = k * math.acosh((1 + eps) / (1 - eps))
        log_tau = z + math.log1p(math.exp(-2 * z)) - math.log(2)
        best = min(best, (1 + math.exp(log_r - 2 * log_tau)) / (1 - eps))
    return best


@runtime_checkable
class LipschitzBounded(Protocol):
    """A module that says how its parts' bounds combine (a residual block, a critic)."""

    def lipschitz_bound(self, shape: Shape, bounds: LipschitzBounds) -> float | None: ...


class LipschitzBounds:
    """Bounds of the parts of one critic: a fixed random stream for the Lanczos start vectors,
    the number of steps, and the failure probability of each randomised bound."""

    def __init__(
        self,
        *,
        device: torch.device,
        steps: int = DEFAULT_STEPS,
        failure: float = 1e-6,
        explicit_work: int = 2**27,
        seed: int = 0,
    ) -> None:
        self.device = device
        self.steps = steps
        self.failure = failure
        self.explicit_work = explicit_work
        self.generator = torch.Generator().manual_seed(seed)

    def of(self, module: nn.Module, shape: Shape) -> float | None:
        """A bound of any module on inputs of one sample's `shape`."""
        if isinstance(module, LipschitzBounded):
            return module.lipschitz_bound(shape, self)
        return self.chain([module], shape)

    def branches(self, branches: Iterable[Sequence[nn.Module]], shape: Shape) -> float | None:
        """A bound of the sum of the branches (each a chain of layers) on the same input."""
        total = 0.0
        for layers in branches:
            bound = self.chain(layers, shape)
            if bound is None:
                return None
            total += bound
        return total

    def chain(self, layers: Sequence[nn.Module], shape: Shape) -> float | None:
        """A bound of the composition of `layers` (first applied first; nested Sequentials are
        walked): the product of its runs of linear layers' norms and its other parts' bounds.
        Each layer runs once on a zero sample, for its output shape (and to size the layers that
        are sized by their first input, `wgan.lipschitz.spectral.OperatorNorm`)."""
        total, run_shape = 1.0, shape
        run: list[LinearMap] = []
        for layer in _flat(layers):
            out_shape = self._output_shape(layer, shape)
            apply = linear_map(layer)
            if apply is not None:
                run_shape = run_shape if run else shape
                run.append(apply)
            else:
                if run:
                    total, run = total * self.operator_norm(_compose(run), run_shape, shape), []
                if isinstance(layer, LipschitzBounded):
                    bound = layer.lipschitz_bound(shape, self)
                else:
                    bound = activation_constant(layer)
                if bound is None:
                    return None
                total *= bound
            shape = out_shape
        if run:
            total *= self.operator_norm(_compose(run), run_shape, shape)
        return total

    def operator_norm(self, apply: LinearMap, shape: Shape, out_shape: Shape) -> float:
        """An upper bound on the norm of the linear map `apply` (batched, float64) from one
        sample of `shape` to one of `out_shape`: exact where the Gram matrix of its Jacobian
        costs at most `explicit_work` multiply-adds (min(n_in, n_out)^2 max(n_in, n_out)), else
        the Lanczos estimate times `lanczos_factor`."""
        n_in, n_out = math.prod(shape), math.prod(out_shape)
        if min(n_in, n_out) ** 2 * max(n_in, n_out) <= self.explicit_work:
            jacobian = self._jacobian(apply, shape, n_in, n_out)  # (small, large)
            return math.sqrt(float(torch.linalg.eigvalsh(jacobian @ jacobian.T)[-1].clamp(min=0)))
        start = torch.randn(shape, generator=self.generator, dtype=torch.float64)
        theta, _ = lanczos(_gram(apply), start.to(self.device)[None], self.steps)
        return math.sqrt(max(theta, 0.0) * lanczos_factor(n_in, self.steps, self.failure))

    def _jacobian(self, apply: LinearMap, shape: Shape, n_in: int, n_out: int) -> Tensor:
        """The Jacobian (n_out, n_in), or its transpose where n_in is smaller, from the smaller
        number of passes."""
        eye = torch.eye(min(n_in, n_out), dtype=torch.float64, device=self.device)
        if n_in <= n_out:
            with torch.no_grad():
                return apply(eye.view(n_in, *shape)).reshape(n_in, n_out)
        x = torch.zeros(n_out, *shape, dtype=torch.float64, device=self.device, requires_grad=True)
        y = apply(x)
        (rows,) = torch.autograd.grad(y, x, grad_outputs=eye.view_as(y))
        return rows.reshape(n_out, n_in)

    def _output_shape(self, layer: nn.Module, shape: Shape) -> Shape:
        """The shape of the layer's output for one sample of `shape`."""
        parameter = next(layer.parameters(), None)
        dtype = torch.float32 if parameter is None else parameter.dtype
        with torch.no_grad():
            return tuple(layer(torch.zeros(1, *shape, dtype=dtype, device=self.device)).shape[1:])


def _gram(apply: LinearMap) -> Callable[[Tensor], Tensor]:
    """v -> J^T J v for a linear map, by a vector-Jacobian product."""

    def matvec(v: Tensor) -> Tensor:
        x = v.detach().requires_grad_(True)
        y = apply(x)
        (grad,) = torch.autograd.grad(y, x, grad_outputs=y.detach())
        return grad

    return matvec


def _flat(layers: Iterable[nn.Module]) -> list[nn.Module]:
    out: list[nn.Module] = []
    for layer in layers:
        out.extend(_flat(layer) if type(layer) is nn.Sequential else [layer])
    return out


def critic_lipschitz_bound(
    critic: nn.Module, sample_shape: Shape, *, steps: int = DEFAULT_STEPS, seed: int = 0
) -> float | None:
    """An upper bound on the critic's Lipschitz constant in its input, in eval mode (the
    function evaluation scores with: a spectral norm's estimate frozen, BatchNorm on running
    statistics), on samples of `sample_shape`; None where no bound exists (see the module
    docstring). A conditional critic's bound holds for each label. The critic is left as it was;
    no global random stream is drawn from."""
    parameter = next(critic.parameters(), None)
    device = torch.device("cpu") if parameter is None else parameter.device
    bounds = LipschitzBounds(device=device, steps=steps, seed=seed)
    was_training = critic.training
    critic.eval()
    try:
        with torch.enable_grad():
            return bounds.of(critic, tuple(sample_shape))
    finally:
        critic.train(was_training)
