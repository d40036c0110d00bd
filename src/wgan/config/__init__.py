"""One typed, validated run config. Presets and `--set key=value` are diffs on its defaults.

The defaults are WGAN-GP as Gulrajani et al. (2017) give it: lambda 10, n_critic 5, Adam 1e-4 with
betas (0, 0.9). Every field has its default and a comment: the sections' in
`wgan.config.sections`, the top-level ones here; cross-field checks live in
`Config._check_combinations`.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import typing
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from wgan.atomic import write_atomically
from wgan.config.sections import (
    CONV_ARCHS,
    IMAGE_DATASETS,
    TOY_DATASETS,
    ACGANConfig,
    CGANConfig,
    CheckpointConfig,
    CycleGANConfig,
    DataConfig,
    EBGANConfig,
    EvalConfig,
    InfoGANConfig,
    InstanceNoiseConfig,
    LipschitzConfig,
    LogConfig,
    MinibatchConfig,
    ModelConfig,
    NonFiniteConfig,
    OptimizerConfig,
    SGANConfig,
    StabilizerConfig,
    _Section,
)
from wgan.errors import UserError

__all__ = [
    "CONV_ARCHS",
    "IMAGE_DATASETS",
    "TOY_DATASETS",
    "ACGANConfig",
    "CGANConfig",
    "CheckpointConfig",
    "Config",
    "CycleGANConfig",
    "DataConfig",
    "EBGANConfig",
    "EvalConfig",
    "InfoGANConfig",
    "InstanceNoiseConfig",
    "LipschitzConfig",
    "LogConfig",
    "MinibatchConfig",
    "ModelConfig",
    "NonFiniteConfig",
    "OptimizerConfig",
    "SGANConfig",
    "StabilizerConfig",
    "build_config",
    "load_config",
    "merge",
    "parse_override",
    "raw_config",
    "read_yaml",
    "save_config",
]


class Config(_Section):
    # Config() is WGAN-GP as Algorithm 1 of Gulrajani et al. (2017) has it (lambda 10, n_critic 5,
    # Adam 1e-4 betas (0, 0.9)) on 8 Gaussians; the default preset differs (docs/training.md).
    name: str = "wgan-gp"
    description: str = ""
    seed: int = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    # auto: bf16 matmuls and convolutions where the hardware runs them natively (CPUs with
    # AVX512-BF16 or AMX, GPUs from compute capability 8.0), fp32 elsewhere; the penalty's norm,
    # the losses and the optimizer state stay fp32 (docs/speed.md).
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    # torch.compile the generator and the critic's first-order passes (the penalty's pass stays
    # eager: compiled graphs cannot be differentiated twice). Costs compile time at start-up.
    compile: bool = False
    # dcgan/resnet: models and batches in channels-last memory format (NHWC convolutions).
    channels_last: bool = False
    steps: int = Field(2000, ge=1)  # generator steps
    # The wall-clock budget `wgan train --time` was given, in seconds (None: none); `steps` holds
    # the count resolved from it (wgan.training.budget), which is what the run trains.
    time_budget_s: float | None = Field(None, gt=0.0)
    batch_size: int = Field(256, ge=1)
    n_critic: int = Field(5, ge=1)  # critic steps per generator step
    # A name of `wgan.losses.LOSSES`: wasserstein; minimax (saturating GAN); nonsaturating
    # (-log D(G(z))); hinge; lsgan; ebgan.
    loss: str = "wasserstein"
    ema_decay: float | None = Field(None, ge=0.0, lt=1.0)  # EMA of the generator's weights
    # What is trained: an unconditional GAN; cgan (labels into generator and critic); acgan (an
    # auxiliary classifier head); infogan (latent codes and Q); cyclegan (unpaired translation
    # between data and data_b); sgan (semi-supervised: a critic of K class logits trained on
    # data.labelled labelled examples and the unlabelled rest, loss minimax, feature matching).
    # Each but sgan works with every `loss` but ebgan.
    gan: Literal["unconditional", "cgan", "acgan", "infogan", "cyclegan", "sgan"] = "unconditional"
    data: DataConfig = DataConfig()
    data_b: DataConfig | None = None  # cyclegan: the second domain
    model: ModelConfig = ModelConfig()
    lipschitz: LipschitzConfig = LipschitzConfig()
    stabilizers: StabilizerConfig = StabilizerConfig()
    ebgan: EBGANConfig = EBGANConfig()
    cgan: CGANConfig = CGANConfig()
    acgan: ACGANConfig = ACGANConfig()
    infogan: InfoGANConfig = InfoGANConfig()
    sgan: SGANConfig = SGANConfig()
    cyclegan: CycleGANConfig = CycleGANConfig()
    optimizer: OptimizerConfig = OptimizerConfig()
    eval: EvalConfig = EvalConfig()
    checkpoint: CheckpointConfig = CheckpointConfig()
    on_nonfinite: NonFiniteConfig = NonFiniteConfig()
    log: LogConfig = LogConfig()

    @field_validator("loss")
    @classmethod
    def _registered_loss(cls, name: str) -> str:
        from wgan.losses import LOSSES  # (torch: loaded only when a config is validated)

        if name not in LOSSES:
            raise ValueError(f"unknown loss {name!r}; known: {', '.join(LOSSES)}")
        return name

    @model_validator(mode="after")
    def _check_combinations(self) -> Config:
        self._check_semi_supervised()
        data, model = self.data, self.model
        if data.name in ("points", "images") and not data.path:
            raise ValueError(f"data.name '{data.name}' needs data.path (or --data PATH)")
        images = data.name in IMAGE_DATASETS
        if images and model.arch not in CONV_ARCHS:
            raise ValueError(
                f"model.arch '{model.arch}' is for points; image data needs 'dcgan', 'resnet' or "
                "'biggan'"
            )
        if not images and model.arch in CONV_ARCHS:
            raise ValueError(
                f"model.arch '{model.arch}' is for images; data.name '{data.name}' needs 'mlp'"
            )
        if not images and (data.resolution is not None or data.channels is not None):
            raise ValueError("data.resolution and data.channels apply to image data only")
        if data.stack != 1 and (not images or data.channels == 1):
            raise ValueError(
                "data.stack stacks grey images as the channels of colour ones: it needs image "
                "data and data.channels unset or 3"
            )
        if data.stack != 1 and self.gan != "unconditional":
            raise ValueError(
                f"data.stack applies to unconditional runs (gan 'unconditional'), not '{self.gan}'"
            )
        if model.arch == "mlp" and model.critic_norm != "none":
            raise ValueError("model.critic_norm applies to the image critics only")
        mlp_only = {
            "critic_maxout": model.critic_maxout > 1,
            "generator_norm": model.generator_norm != "none",
            "init_std": model.init_std is not None,
        }
        if model.arch != "mlp" and any(mlp_only.values()):
            used = ", ".join(f"model.{k}" for k, v in mlp_only.items() if v)
            raise ValueError(f"{used} apply to the mlp networks only (model.arch '{model.arch}')")
        if self.channels_last and model.arch not in CONV_ARCHS:
            raise ValueError("channels_last applies to the image models only")
        if model.critic_norm == "batchnorm" and self.lipschitz.method.startswith("gp"):
            raise ValueError(
                "model.critic_norm 'batchnorm' cannot be used with a gradient penalty: the "
                "penalty constrains each sample's gradient, and BatchNorm makes every score depend "
                "on the whole batch; use 'layernorm', 'sn' or 'none' (or lipschitz.method clip)"
            )
        method, minibatch = self.lipschitz.method, self.stabilizers.minibatch.kernels > 0
        if self.loss == "wasserstein" and method == "none" and model.critic_norm != "sn":
            raise ValueError(
                "loss 'wasserstein' needs a Lipschitz critic: without one its scores grow without "
                "bound; set lipschitz.method to gp, gp-one-sided, clip or sn"
            )
        if method == "weight-norm" and model.critic_norm == "sn":
            raise ValueError(
                "lipschitz.method 'weight-norm' and model.critic_norm 'sn' both reparametrise the "
                "critic's weights; set model.critic_norm to none"
            )
        if self.lipschitz.sn_norm != "reshaped" and "sn" not in (method, model.critic_norm):
            raise ValueError(
                "lipschitz.sn_norm applies to spectral normalisation (lipschitz.method sn or "
                "model.critic_norm sn); set it to reshaped"
            )
        if method == "sn" and model.critic_norm == "sn":
            raise ValueError(
                "lipschitz.method 'sn' and model.critic_norm 'sn' both spectrally normalise the "
                "critic; set model.critic_norm to none"
            )
        if self.loss == "ebgan" and method != "none":
            raise ValueError(
                f"loss 'ebgan' with lipschitz.method '{method}': the margin (ebgan.margin) already "
                "bounds the energies, and the autoencoder must be free to reconstruct real data "
                "exactly; set lipschitz.method to none"
            )
        if self.ebgan.pullaway_weight > 0 and self.loss != "ebgan":
            raise ValueError("ebgan.pullaway_weight applies to loss 'ebgan' only; set it to 0")
        if minibatch and method in ("gp", "gp-one-sided"):
            raise ValueError(
                "stabilizers.minibatch cannot be used with a gradient penalty: the penalty "
                "constrains each sample's gradient, and minibatch discrimination makes every score "
                "depend on the whole batch (as BatchNorm would); use lipschitz.method sn or none"
            )
        if minibatch and self.loss in ("wasserstein", "ebgan"):
            raise ValueError(
                f"stabilizers.minibatch cannot be used with loss '{self.loss}': "
                + (
                    "the Wasserstein critic is a function of one sample (the Kantorovich-"
                    "Rubinstein dual), minibatch discrimination makes it a function of the batch"
                    if self.loss == "wasserstein"
                    else "the EBGAN critic is an autoencoder of single samples"
                )
                + "; use minimax, nonsaturating, hinge or lsgan"
            )
        # (sgan's feature matching is on any critic's features: its critic has K class logits.)
        matching = self.stabilizers.feature_matching and self.gan != "sgan"
        needs_mlp = minibatch or self.loss == "ebgan" or matching
        if needs_mlp and self.model.arch != "mlp":
            raise ValueError(
                "loss 'ebgan', stabilizers.minibatch and stabilizers.feature_matching need the "
                "mlp critic (model.arch mlp)"
            )
        self._check_gan_kind()
        return self

    @classmethod
    def from_preset(cls, preset: str | None = None, **fields: Any) -> Config:
        """A preset with keyword diffs on top.

        Parameters
        ----------
        preset : str, optional
            A preset name (`wgan presets` lists them); default ``8gaussians-wgan-gp``.
        **fields
            Diffs merged into the preset, nested sections as mappings, e.g.
            ``steps=100, lipschitz={"method": "clip"}`` (other keys of a section keep their
            values); ``name="mine"`` renames the config (the default run directory follows).

        Returns
        -------
        Config
            The validated config. An unknown key or a bad value raises `wgan.UserError`
            naming the key.
        """
        return build_config(merge(_read_preset(preset), fields))

    @classmethod
    def from_yaml(cls, path: str | Path, **fields: Any) -> Config:
        """A YAML config file (a diff on the defaults, as presets are) with keyword diffs on top.

        Parameters
        ----------
        path : str or Path
            The file; its stem is the config's name unless it sets ``name``.
        **fields
            Diffs merged into the file's values, as in `from_preset`.

        Returns
        -------
        Config
        """
        return build_config(merge(_read_config_file(Path(path)), fields))

    def with_schedule(self) -> Config:
        """This config with its learning-rate schedule explicit: a linear decay's `decay_steps`
        set to `steps` when it is not given (what the schedule has always meant)."""
        opt = self.optimizer
        if opt.lr_decay != "linear" or opt.decay_steps is not None:
            return self
        optimizer = opt.model_copy(update={"decay_steps": self.steps})
        return self.model_copy(update={"optimizer": optimizer})

    def _check_gan_kind(self) -> None:
        """The checks of `gan` against the data and the other options."""
        gan, data, data_b = self.gan, self.data, self.data_b
        if gan != "cyclegan" and data.transform != "none":
            raise ValueError(
                "data.transform makes a second domain whose map is known, for gan 'cyclegan'; "
                "set it to none"
            )
        if gan == "unconditional":
            return
        if gan != "cyclegan" and data_b is not None:
            raise ValueError(
                f"data_b (a second domain, or a second --data PATH) is for gan 'cyclegan', not "
                f"'{gan}'"
            )
        stabilizers = self.stabilizers
        if gan == "sgan":
            return  # checked by _check_semi_supervised
        if self.loss == "ebgan" or stabilizers.minibatch.kernels or stabilizers.feature_matching:
            raise ValueError(
                f"gan '{gan}' cannot be combined with loss 'ebgan', stabilizers.minibatch or "
                "stabilizers.feature_matching: its critic needs a linear head on its features; "
                "use another loss, without these stabilisers"
            )
        if gan in ("cgan", "acgan") and data.name == "swissroll":
            raise ValueError(
                f"gan '{gan}' needs labelled data and the swiss roll has none; use 8gaussians, "
                "25gaussians (label: the mode), digits, or labelled files"
            )
        if gan == "infogan" and self.infogan.categories + self.infogan.continuous == 0:
            raise ValueError("gan 'infogan' needs infogan.categories or infogan.continuous > 0")
        if gan == "infogan" and self.infogan.categories == 1:
            raise ValueError("infogan.categories 1 is a constant code; use 0 (none) or 2 or more")
        if gan == "cyclegan":
            if self.compile:
                raise ValueError(
                    "compile applies to a single generator and critic, not to gan 'cyclegan'; "
                    "set compile to false"
                )
            if data_b is None:
                raise ValueError(
                    "gan 'cyclegan' needs data_b, the second domain (or a second --data PATH)"
                )
            if data_b.name in ("points", "images") and not data_b.path:
                raise ValueError(f"data_b.name '{data_b.name}' needs data_b.path")
            if (data_b.name in IMAGE_DATASETS) != self.is_image_run:
                raise ValueError(
                    "gan 'cyclegan' translates points to points or images to images; data and "
                    "data_b must be of one kind"
                )
            if data_b.name not in IMAGE_DATASETS and (data_b.resolution or data_b.channels):
                raise ValueError("data_b.resolution and data_b.channels apply to image data only")

    def _check_semi_supervised(self) -> None:
        """gan 'sgan' and data.labelled go together, on data with a finite labelled training
        split, with Salimans et al.'s (2016) loss and generator objective."""
        labelled, gan = self.data.labelled, self.gan
        if self.data_b is not None and self.data_b.labelled is not None:
            raise ValueError("data_b.labelled: labelled examples are for gan 'sgan'; remove it")
        if gan != "sgan":
            if labelled is not None:
                raise ValueError(
                    f"data.labelled is for gan 'sgan' (semi-supervised), not '{gan}'; remove it "
                    "or set gan to sgan"
                )
            return
        if labelled is None:
            raise ValueError(
                "gan 'sgan' needs data.labelled, how many training examples keep their labels "
                "(e.g. --set data.labelled=100)"
            )
        if self.data.name in TOY_DATASETS:
            raise ValueError(
                f"data.labelled picks examples of a finite training split, and '{self.data.name}' "
                "is sampled afresh each batch; use digits, labelled image files or a .csv of "
                "points with a 'label' column"
            )
        if self.data.name == "digits" and labelled < 10:
            raise ValueError(
                f"data.labelled {labelled} is fewer than the digits' 10 classes; give at least "
                "one labelled example per class"
            )
        if self.loss != "minimax":
            raise ValueError(
                f"gan 'sgan' trains its critic with the minimax loss on log Z, the logit of "
                f"D(x) = Z / (Z + 1) (Salimans et al. 2016), not '{self.loss}'; set loss to minimax"
            )
        if not self.stabilizers.feature_matching:
            raise ValueError(
                "gan 'sgan' trains its generator by feature matching (Salimans et al. 2016); set "
                "stabilizers.feature_matching to true"
            )
        if self.stabilizers.minibatch.kernels:
            raise ValueError(
                "gan 'sgan' classifies each sample alone, and stabilizers.minibatch makes its "
                "outputs depend on the batch; set stabilizers.minibatch.kernels to 0"
            )

    @property
    def is_image_run(self) -> bool:
        return self.data.name in IMAGE_DATASETS

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def fingerprint(self) -> str:
        """A hash of what fixes the shapes of the models, to refuse foreign checkpoints."""
        shape_keys: dict[str, Any] = {
            "model": self.model.model_dump(mode="json"),
            "data": self.data.name,
        }
        if self.is_image_run:
            shape_keys["image"] = [self.data.resolution, self.data.channels]
        # Keys that change the critic's layers, added only when set: default configs keep the
        # fingerprint they had before these options existed.
        if self.loss == "ebgan":
            shape_keys["ebgan_code_dim"] = self.ebgan.code_dim
        if self.data.stack != 1:
            shape_keys["stack"] = self.data.stack
        if self.lipschitz.method == "sn":
            shape_keys["spectral_norm"] = True
        if self.lipschitz.sn_norm != "reshaped":
            shape_keys["sn_norm"] = self.lipschitz.sn_norm
        if self.lipschitz.method == "weight-norm":
            shape_keys["weight_norm"] = True
        if self.stabilizers.minibatch.kernels:
            shape_keys["minibatch"] = self.stabilizers.minibatch.model_dump()
        if self.gan != "unconditional":
            shape_keys["gan"] = self.gan
            if self.gan == "cgan":
                shape_keys["cgan_critic"] = self.cgan.critic
            if self.gan == "infogan":
                shape_keys["infogan_codes"] = [self.infogan.categories, self.infogan.continuous]
            if self.data_b is not None:
                b = self.data_b
                shape_keys["data_b"] = [b.name, b.resolution, b.channels]
        return hashlib.sha256(json.dumps(shape_keys, sort_keys=True).encode()).hexdigest()[:16]


def _section_type(annotation: Any) -> type[BaseModel] | None:
    """The section class of a field annotated `Section` or `Section | None`, else None."""
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _known_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        keys.append(prefix + name)
        section = _section_type(field.annotation)
        if section is not None:
            keys.extend(_known_keys(section, prefix + name + "."))
    return keys


def _check_unknown_keys(raw: dict[str, Any], model: type[BaseModel], prefix: str = "") -> None:
    for key, value in raw.items():
        if key not in model.model_fields:
            known = _known_keys(model, prefix)
            guess = difflib.get_close_matches(prefix + str(key), known, n=1, cutoff=0.5)
            hint = (
                f" (did you mean '{guess[0]}'?)" if guess else f"; known keys: {', '.join(known)}"
            )
            raise UserError(f"config: unknown key '{prefix}{key}'{hint}")
        section = _section_type(model.model_fields[key].annotation)
        if section is not None and value is not None:
            if not isinstance(value, dict):
                raise UserError(f"config: '{prefix}{key}' is a section; give it as a mapping")
            _check_unknown_keys(value, section, prefix + key + ".")


def _describe(error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"])
    value = error.get("input")
    shown = "" if isinstance(value, dict) else f" (got {value!r})"
    message = error["msg"].removeprefix("Value error, ")  # a cross-field check names its keys
    return f"config: {where}: {message}{shown}" if where else f"config: {message}{shown}"


def build_config(raw: dict[str, Any]) -> Config:
    """Validate a nested mapping into a Config; every problem becomes a UserError naming the key."""
    _check_unknown_keys(raw, Config)
    try:
        return Config.model_validate(raw)
    except ValidationError as err:
        raise UserError(_describe(err.errors()[0])) from None


def merge(base: dict[str, Any], diff: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge `diff` onto `base` (a new dict; neither input changes)."""
    out = dict(base)
    for key, value in diff.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def parse_override(text: str) -> dict[str, Any]:
    """Turn `a.b=value` into {"a": {"b": value}}, the value parsed as YAML (so 1e-4, true, [0, 0.9])."""
    key, sep, value_text = text.partition("=")
    if not sep or not key.strip():
        raise UserError(f"--set expects key=value, got {text!r}")
    try:
        value = yaml.safe_load(value_text) if value_text.strip() else None
    except yaml.YAMLError:
        value = value_text
    if isinstance(value, str):  # YAML 1.1 reads 1e-4 (no dot) as text
        try:
            value = float(value)
        except ValueError:
            pass
    nested: dict[str, Any] = {}
    cursor = nested
    parts = key.strip().split(".")
    for part in parts[:-1]:
        cursor = cursor.setdefault(part, {})
    cursor[parts[-1]] = value
    return nested


def read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise UserError(f"config file {path} does not exist")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise UserError(f"config file {path} is not valid YAML: {err}") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise UserError(f"config file {path} must hold a mapping of keys to values")
    return raw


def _read_config_file(path: Path) -> dict[str, Any]:
    raw = read_yaml(path)
    raw.setdefault("name", path.stem)
    return raw


def _read_preset(name: str | None) -> dict[str, Any]:
    from wgan.presets import DEFAULT_PRESET, preset_path

    return read_yaml(preset_path(name or DEFAULT_PRESET))


def raw_config(
    source: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()
) -> dict[str, Any]:
    """The mapping of a preset name or YAML file (default: the default preset) with `key=value`
    overrides merged in, not yet validated."""
    path = Path(source) if source is not None else None
    if path is not None and (path.suffix in (".yaml", ".yml") or path.is_file()):
        raw = _read_config_file(path)
    else:
        raw = _read_preset(None if source is None else str(source))
    for text in overrides:
        raw = merge(raw, parse_override(text))
    return raw


def load_config(
    source: str | Path | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    **fields: Any,
) -> Config:
    """A config from a preset name or a YAML file, then overrides, as the command line builds it.

    Parameters
    ----------
    source : str or Path, optional
        A YAML file (a path ending in .yaml or .yml, or any existing file) or a preset name;
        default: the default preset, ``8gaussians-wgan-gp``.
    overrides : sequence of str
        ``key=value`` strings as given to ``--set``, dotted for sections, values read as YAML.
    **fields
        Keyword diffs applied last, nested sections as mappings, e.g.
        ``load_config("8gaussians-wgan-gp", steps=100, lipschitz={"method": "clip"})``.

    Returns
    -------
    Config
        The validated config; a mistake raises `wgan.UserError` naming the key.
    """
    return build_config(merge(raw_config(source, overrides), fields))


def save_config(config: Config, path: Path) -> None:
    """Write the resolved config as YAML, atomically (a kill never leaves half a config)."""
    write_atomically(path, yaml.safe_dump(config.to_dict(), sort_keys=False).encode())
