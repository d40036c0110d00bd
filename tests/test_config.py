from __future__ import annotations

from pathlib import Path

import pytest

from wgan.config import Config, load_config, parse_override
from wgan.errors import UserError
from wgan.presets import DEFAULT_PRESET, preset_descriptions, preset_names


def test_defaults_are_wgan_gp_of_the_paper() -> None:
    config = Config()
    assert config.lipschitz.method == "gp"
    assert config.lipschitz.gp_lambda == 10.0
    assert config.n_critic == 5
    assert config.optimizer.name == "adam"
    assert config.optimizer.betas == (0.0, 0.9)
    assert config.optimizer.lr_critic == 1e-4


def test_every_preset_loads_and_has_a_description() -> None:
    names = preset_names()
    assert DEFAULT_PRESET in names
    for name, description in preset_descriptions():
        user_data = "needs --data" in description  # mnist-wgan-gp, cifar10-wgan-gp
        fields = {"data": {"path": "somewhere"}} if user_data else {}
        assert load_config(name, **fields).name == name
        assert description and "\n" not in description


def test_cifar10_preset_is_the_papers_resnet_setting() -> None:
    config = load_config("cifar10-wgan-gp", data={"path": "cifar-10-batches-py"})
    assert config.model.arch == "resnet" and config.model.critic_norm == "none"
    assert config.model.generator_width == config.model.critic_width == 128
    opt = config.optimizer
    assert (opt.name, opt.lr_generator, opt.lr_critic, opt.betas) == (
        "adam",
        2e-4,
        2e-4,
        (0.0, 0.9),
    )
    assert opt.lr_decay == "linear" and config.steps == 100_000
    assert (config.n_critic, config.lipschitz.gp_lambda, config.batch_size) == (5, 10.0, 64)
    assert config.ema_decay is not None


def test_image_presets_need_their_data_and_digits_is_built_in() -> None:
    with pytest.raises(UserError, match=r"needs data\.path"):
        load_config("cifar10-wgan-gp")
    assert load_config("digits-wgan-gp").data.name == "digits"


@pytest.mark.parametrize("dataset", ["8gaussians", "25gaussians", "swissroll"])
def test_clip_presets_follow_algorithm_1(dataset: str) -> None:
    config = load_config(f"{dataset}-wgan-clip")
    assert config.lipschitz.method == "clip"
    assert config.lipschitz.clip == 0.01
    assert config.optimizer.name == "rmsprop"
    assert config.optimizer.lr_critic == config.optimizer.lr_generator == 5e-5
    assert config.batch_size == 64
    assert config.n_critic == 5


@pytest.mark.parametrize("dataset", ["8gaussians", "25gaussians", "swissroll"])
def test_alg1_presets_follow_algorithm_1_of_wgan_gp(dataset: str) -> None:
    config = load_config(f"{dataset}-wgan-gp-alg1")
    assert config.data.name == dataset
    assert (config.lipschitz.method, config.lipschitz.gp_lambda) == ("gp", 10.0)
    assert (config.n_critic, config.batch_size) == (5, 64)
    opt = config.optimizer
    assert (opt.name, opt.lr_generator, opt.lr_critic, opt.betas) == (
        "adam",
        1e-4,
        1e-4,
        (0.0, 0.9),
    )
    assert opt.lr_decay == "constant" and config.ema_decay is None
    assert config.loss == "wasserstein" and config.gan == "unconditional"
    assert config.stabilizers == Config().stabilizers  # no instance noise, no other stabiliser
    model = config.model
    assert (model.arch, model.activation, model.latent_dim) == ("mlp", "relu", 2)
    assert (model.generator_width, model.generator_depth) == (512, 3)
    assert (model.critic_width, model.critic_depth) == (512, 3)
    assert config.precision == "auto"  # the project's default, as the tuned presets have it
    assert config.eval.n == 2000


def test_paper_preset_is_the_paper_code() -> None:
    config = load_config("8gaussians-wgan-gp-paper")
    assert (config.model.critic_width, config.model.critic_depth) == (512, 3)
    assert (config.model.generator_width, config.model.generator_depth) == (512, 3)
    assert config.batch_size == 256
    assert config.lipschitz.gp_lambda == 0.1
    assert config.optimizer.betas == (0.5, 0.9)
    assert config.optimizer.lr_critic == 1e-4
    assert config.n_critic == 5


def test_overrides_are_parsed_as_yaml() -> None:
    assert parse_override("lipschitz.gp_lambda=1e-1") == {"lipschitz": {"gp_lambda": 0.1}}
    assert parse_override("optimizer.betas=[0, 0.9]") == {"optimizer": {"betas": [0, 0.9]}}
    config = load_config(None, ["steps=7", "lipschitz.method=clip"])
    assert config.steps == 7
    assert config.lipschitz.method == "clip"


def test_unknown_key_names_the_nearest_one() -> None:
    with pytest.raises(UserError, match=r"unknown key 'lipschitz.gp_lamda'.*'lipschitz.gp_lambda'"):
        load_config(None, ["lipschitz.gp_lamda=1"])
    with pytest.raises(UserError, match=r"unknown key 'n_crtic'.*'n_critic'"):
        load_config(None, ["n_crtic=3"])


def test_bad_values_name_the_key_and_the_allowed_values() -> None:
    with pytest.raises(UserError, match=r"lipschitz.method.*'gp'.*'clip'"):
        load_config(None, ["lipschitz.method=gq"])
    with pytest.raises(UserError, match=r"n_critic.*greater than or equal to 1"):
        load_config(None, ["n_critic=0"])
    with pytest.raises(UserError, match=r"lipschitz.gp_lambda"):
        load_config(None, ["lipschitz.gp_lambda=-1"])
    with pytest.raises(UserError, match=r"batch_size"):
        load_config(None, ["batch_size=many"])


def test_set_without_equals_is_an_error() -> None:
    with pytest.raises(UserError, match="key=value"):
        load_config(None, ["steps"])


def test_unknown_preset_suggests_a_name() -> None:
    with pytest.raises(UserError, match="did you mean '8gaussians-wgan-gp'"):
        load_config("8gausians-wgan-gp")


def test_yaml_file_config(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("steps: 9\nlipschitz: {method: gp-one-sided}\n")
    config = load_config(path)
    assert (config.name, config.steps, config.lipschitz.method) == ("mine", 9, "gp-one-sided")
    path.write_text("- a list\n")
    with pytest.raises(UserError, match="mapping"):
        load_config(path)
    path.write_text("steps: [unclosed\n")
    with pytest.raises(UserError, match="not valid YAML"):
        load_config(path)


def test_points_data_needs_a_path() -> None:
    with pytest.raises(UserError, match=r"data\.path"):
        load_config(None, ["data.name=points"])


def test_fingerprint_follows_model_shapes_only() -> None:
    base = load_config(None)
    assert base.fingerprint() == load_config(None, ["steps=5", "seed=3"]).fingerprint()
    assert base.fingerprint() != load_config(None, ["model.critic_width=64"]).fingerprint()


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        (
            ["loss=wasserstein", "lipschitz.method=none"],
            r"loss 'wasserstein' needs a Lipschitz critic",
        ),
        (["loss=ebgan", "lipschitz.method=gp"], r"loss 'ebgan' with lipschitz.method 'gp'.*margin"),
        (["loss=ebgan", "lipschitz.method=sn"], r"set lipschitz.method to none"),
        (
            ["loss=hinge", "ebgan.pullaway_weight=0.1"],
            r"ebgan.pullaway_weight applies to loss 'ebgan'",
        ),
        (
            ["loss=nonsaturating", "stabilizers.minibatch.kernels=4"],  # with the default gp
            r"stabilizers.minibatch cannot be used with a gradient penalty.*whole batch",
        ),
        (
            ["lipschitz.method=clip", "stabilizers.minibatch.kernels=4"],  # wasserstein
            r"function of one sample",
        ),
        (
            ["loss=ebgan", "lipschitz.method=none", "stabilizers.minibatch.kernels=4"],
            r"EBGAN critic is an autoencoder",
        ),
        (
            ["data.name=digits", "model.arch=dcgan", "model.critic_norm=sn", "lipschitz.method=sn"],
            r"both spectrally normalise the critic; set model.critic_norm to none",
        ),
        (
            [
                "data.name=digits",
                "model.arch=dcgan",
                "model.critic_norm=sn",
                "lipschitz.method=weight-norm",
            ],
            r"both reparametrise the critic's weights; set model.critic_norm to none",
        ),
        (
            ["data.name=digits", "model.arch=dcgan", "stabilizers.feature_matching=true"],
            r"need the mlp critic",
        ),
        (["lipschitz.sn_norm=exact"], r"lipschitz.sn_norm applies to spectral normalisation"),
    ],
)
def test_combinations_that_cannot_work_are_refused_with_a_reason(
    overrides: list[str], reason: str
) -> None:
    with pytest.raises(UserError, match=reason):
        load_config(None, overrides)


@pytest.mark.parametrize(
    "overrides",
    [
        ["loss=nonsaturating", "lipschitz.method=gp"],  # NS-GAN + GP (Kurach et al. 2019)
        ["loss=hinge", "lipschitz.method=sn"],
        ["loss=hinge", "lipschitz.method=none"],
        ["loss=minimax", "lipschitz.method=clip", "stabilizers.minibatch.kernels=4"],
        ["loss=lsgan", "lipschitz.method=sn", "stabilizers.feature_matching=true"],
        ["loss=ebgan", "lipschitz.method=none", "ebgan.pullaway_weight=0.1"],
        ["lipschitz.method=sn", "stabilizers.instance_noise.std=0.1"],
        ["lipschitz.method=clip-norm", "lipschitz.norm_bound=2"],
        ["loss=hinge", "lipschitz.method=l1-decay", "lipschitz.weight_decay=1e-4"],
        ["data.name=digits", "model.arch=dcgan", "lipschitz.method=weight-norm"],
        # Image critics: every loss but EBGAN, spectral norm from either key, instance noise.
        ["data.name=digits", "model.arch=dcgan", "loss=hinge", "lipschitz.method=sn"],
        ["data.name=digits", "model.arch=resnet", "model.critic_norm=sn", "lipschitz.method=none"],
        ["data.name=digits", "model.arch=dcgan", "stabilizers.instance_noise.std=0.1"],
        ["loss=hinge", "lipschitz.method=sn", "lipschitz.sn_norm=exact"],
        [
            "data.name=digits",
            "model.arch=resnet",
            "model.critic_norm=sn",
            "lipschitz.sn_norm=exact",
        ],
    ],
)
def test_combinations_that_work_are_accepted(overrides: list[str]) -> None:
    load_config(None, overrides)


def test_new_sections_name_their_keys() -> None:
    with pytest.raises(
        UserError,
        match=r"unknown key 'stabilizers.instance_noise.sd'.*'stabilizers.instance_noise.std'",
    ):
        load_config(None, ["stabilizers.instance_noise.sd=0.1"])
    with pytest.raises(UserError, match=r"loss.*hinge.*ebgan"):
        load_config(None, ["loss=wgan"])
    with pytest.raises(UserError, match=r"ebgan.margin"):
        load_config(None, ["loss=ebgan", "lipschitz.method=none", "ebgan.margin=0"])


def test_fingerprint_follows_critic_layers_of_the_new_options() -> None:
    base = load_config(None, ["loss=hinge", "lipschitz.method=gp"])
    assert base.fingerprint() == load_config(None).fingerprint()  # the loss changes no layer
    for overrides in (
        ["loss=hinge", "lipschitz.method=sn"],
        ["loss=hinge", "lipschitz.method=none", "stabilizers.minibatch.kernels=3"],
        ["loss=ebgan", "lipschitz.method=none"],
        ["lipschitz.method=weight-norm"],
    ):
        assert load_config(None, overrides).fingerprint() != base.fingerprint()
    for overrides in (["lipschitz.method=clip-norm"], ["lipschitz.method=l2-decay"]):
        assert load_config(None, overrides).fingerprint() == base.fingerprint()


def test_sn_norm_defaults_to_miyatos_and_exact_changes_the_fingerprint() -> None:
    assert Config().lipschitz.sn_norm == "reshaped"
    with pytest.raises(UserError, match=r"lipschitz.sn_norm.*'reshaped'.*'exact'"):
        load_config(None, ["lipschitz.method=sn", "lipschitz.sn_norm=operator"])
    miyato = load_config(None, ["loss=hinge", "lipschitz.method=sn"])
    named = load_config(None, ["loss=hinge", "lipschitz.method=sn", "lipschitz.sn_norm=reshaped"])
    exact = load_config(None, ["loss=hinge", "lipschitz.method=sn", "lipschitz.sn_norm=exact"])
    assert miyato.fingerprint() == named.fingerprint() != exact.fingerprint()


def test_25gaussians_wgan_gp_preset_is_the_tuned_one() -> None:
    # lambda 0.1 and 5000 steps: what reaches 25/25 modes and >= 90% high quality (docs/gan-family.md).
    config = load_config("25gaussians-wgan-gp")
    assert config.lipschitz.gp_lambda == 0.1
    assert config.steps == 5000
