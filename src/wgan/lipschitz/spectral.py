"""Spectral normalisation of a critic's weights, by one of two norms (`SN_NORMS`):

- reshaped: Miyato et al. (2018), torch's parametrization. A weight W (a convolution's kernel
  reshaped to (out, in * k * k)) is used as W / sigma(W), sigma its largest singular value. For a
  linear layer that is the layer's operator norm; a convolution applies each kernel entry at many
  positions, and its operator norm on an image can exceed sigma(W), by up to a factor k for a
  k x k kernel (reached by a constant kernel on large images), so a normalised convolution is not
  1-Lipschitz in general.
- exact: W is used as W / ||A_W||, ||A_W|| the operator norm of the layer itself (the matrix, or
  the convolution with its stride, padding, dilation and groups) on the inputs it sees
  (`OperatorNorm`). Each normalised layer then has norm 1, so a critic of such layers and
  1-Lipschitz activations is 1-Lipschitz (residual sums excepted: `wgan.lipschitz.bounds`).

Both estimate their norm by power iteration, one step per forward pass in train mode, frozen in
eval mode, with the iteration vectors as buffers (checkpointed: a resumed run continues them).
The estimate ||A v|| (v the unit iteration vector) never exceeds the norm, so a normalised layer's
norm is 1 or a little above, as close as the iteration has converged.
"""

from __future__ import annotations

from typing import Any, cast

import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm

from wgan.lipschitz.bounds import lanczos

SN_NORMS = ("reshaped", "exact")
INIT_STEPS = 32  # Lanczos steps that set the iteration vector at a layer's first forward pass
_CONV: dict[int, tuple[Any, Any]] = {  # spatial dimensions -> (convolution, its transpose)
    1: (F.conv1d, F.conv_transpose1d),
    2: (F.conv2d, F.conv_transpose2d),
    3: (F.conv3d, F.conv_transpose3d),
}


class OperatorNorm(nn.Module):
    """The parametrization W -> W / ||A_W|| of a linear or convolution layer, ||A_W|| its operator
    norm on the layer's input shape, estimated as ||A_W v|| with v a unit vector of that shape (a
    buffer) that power iteration on A^T A moves towards the top right singular vector.

    The input shape is known only when the layer first runs: a forward pre-hook on the layer then
    sizes v and sets it to the top Ritz vector of `INIT_STEPS` Lanczos steps from a fixed random
    start (no global random stream is drawn from, so a run's numbers do not depend on when the
    layer first runs). Loading a state dict sizes v from the stored one. In train mode each forward
    pass does one power step on v (without gradient); sigma = ||A_W v|| is differentiated in W, as
    in Miyato's method. In eval mode v is frozen.
    """

    v: Tensor

    def __init__(self, layer: nn.Linear | nn.Conv1d | nn.Conv2d | nn.Conv3d) -> None:
        super().__init__()
        self.conv: dict[str, Any] | None = None
        if not isinstance(layer, nn.Linear):
            if layer.padding_mode != "zeros" or isinstance(layer.padding, str):
                raise ValueError(
                    "the exact spectral norm takes convolutions with zero padding given as numbers"
                )
            self.conv = {
                "stride": layer.stride,
                "padding": layer.padding,
                "dilation": layer.dilation,
                "groups": layer.groups,
            }
            self.kernel_size = layer.kernel_size
        self.register_buffer("v", torch.empty(0))  # (1, *input shape) once sized
        layer.register_forward_pre_hook(self._size)
        self.register_load_state_dict_pre_hook(self._resize)

    def forward(self, weight: Tensor) -> Tensor:
        if self.v.numel() == 0:
            raise RuntimeError(
                "an exactly spectrally normalised layer is sized by its first forward pass; run "
                "the critic once before reading its weights"
            )
        with torch.autocast(weight.device.type, enabled=False):
            if self.training:
                with torch.no_grad():
                    self.v.copy_(_unit(self._gram(self.v, weight)))
            # A clone: the next forward's step must not change what this graph saved.
            sigma = self._apply_map(self.v.clone(), weight).norm()
        return weight / sigma

    def _apply_map(self, v: Tensor, weight: Tensor) -> Tensor:
        if self.conv is None:
            return F.linear(v, weight)
        return _CONV[v.dim() - 2][0](v, weight, None, **self.conv)

    def _adjoint(self, u: Tensor, weight: Tensor, size: tuple[int, ...]) -> Tensor:
        """A^T u, back to inputs of spatial `size`."""
        if self.conv is None:
            return u @ weight
        conv = self.conv
        # Output padding gives back the input's size where the stride drops the last rows.
        output_padding = tuple(
            (n + 2 * p - d * (k - 1) - 1) % s
            for n, p, d, k, s in zip(
                size,
                conv["padding"],
                conv["dilation"],
                self.kernel_size,
                conv["stride"],
                strict=True,
            )
        )
        transpose = _CONV[u.dim() - 2][1]
        return transpose(
            u,
            weight,
            None,
            conv["stride"],
            conv["padding"],
            output_padding,
            conv["groups"],
            conv["dilation"],
        )

    def _gram(self, v: Tensor, weight: Tensor) -> Tensor:
        return self._adjoint(self._apply_map(v, weight), weight, tuple(v.shape[2:]))

    @torch.compiler.disable
    def _size(self, layer: nn.Module, args: tuple[Any, ...]) -> None:
        shape, sized = tuple(args[0].shape[1:]), tuple(self.v.shape[1:])
        if self.v.numel() and sized != shape:
            raise ValueError(
                f"an exactly spectrally normalised layer was sized for inputs {sized} and now "
                f"gets {shape}"
            )
        if self.v.numel():
            return
        weight = cast(Any, layer).parametrizations.weight.original.detach()
        start = torch.randn((1, *shape), generator=torch.Generator().manual_seed(0))
        with torch.no_grad(), torch.autocast(weight.device.type, enabled=False):
            _, vector = lanczos(
                lambda v: self._gram(v, weight),
                start.to(weight.device, weight.dtype),
                INIT_STEPS,
            )
        self.v = vector

    def _resize(self, module: nn.Module, state_dict: dict[str, Any], prefix: str, *_: Any) -> None:
        stored = state_dict.get(prefix + "v")
        if stored is not None and stored.shape != self.v.shape:
            self.v = torch.empty(stored.shape, dtype=self.v.dtype, device=self.v.device)


def _unit(v: Tensor) -> Tensor:
    return v / v.norm().clamp_min(1e-12)


def spectral_normalize_(critic: nn.Module, norm: str = "reshaped") -> nn.Module:
    """Spectral normalisation of every linear and convolution weight of the critic, in place, by
    the `norm` of `SN_NORMS` (module docstring): "reshaped" (Miyato et al. 2018, torch's
    parametrization) or "exact" (`OperatorNorm`). With "exact" every normalised layer has operator
    norm 1 (up to the power iteration's convergence), so a sequential critic with 1-Lipschitz
    activations is 1-Lipschitz; with "reshaped" that holds for linear layers only, and a critic
    with convolutions can be steeper (`wgan.lipschitz.bounds.critic_lipschitz_bound` bounds it).
    Returns the critic.
    """
    if norm not in SN_NORMS:
        raise ValueError(f"spectral norm {norm!r}; known: {', '.join(SN_NORMS)}")
    for layer in list(critic.modules()):
        if isinstance(layer, nn.Linear | nn.Conv1d | nn.Conv2d | nn.Conv3d):
            if norm == "reshaped":
                spectral_norm(layer)
            else:
                # unsafe: the parametrization cannot run before the layer's input shape is known
                parametrize.register_parametrization(
                    layer, "weight", OperatorNorm(layer), unsafe=True
                )
    return critic
