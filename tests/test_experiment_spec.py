"""The experiment spec: defaults, overrides, TOML, validation messages."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from softlogit.errors import InputTypeError, InputValueError
from softlogit.experiment import (
    OPTIONS,
    ExperimentSpec,
    default_networks,
    default_pairs,
    network_names,
)


def test_defaults_are_the_seed_experiment() -> None:
    spec = ExperimentSpec()
    assert spec.data.dataset == "breast_cancer"
    assert spec.model.hidden == (16,)
    assert spec.model.activation == "tanh"
    assert spec.training.optimizer == "sgd"
    assert spec.training.batch_size is None
    assert spec.training.steps == 2000
    assert spec.training.dtype == "float64"
    # with the one-ulp control where the theory predicts identity
    assert spec.resolved_networks(2) == ("0", "1", "2", "1c", "0-ulp")
    assert spec.resolved_pairs(2) == (
        ("0", "2"),
        ("0", "1"),
        ("2", "1"),
        ("0", "1c"),
        ("0", "0-ulp"),
    )
    assert spec.resolved_networks(3) == (
        "softmax",
        "reference",
        "reference-P",
        "softmax-ulp",
    )
    assert spec.resolved_pairs(3) == (
        ("softmax", "reference"),
        ("softmax", "reference-P"),
        ("softmax", "softmax-ulp"),
    )


def test_spec_is_immutable() -> None:
    spec = ExperimentSpec()
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.seed = 3  # type: ignore[misc]


def test_replace_routes_flat_options() -> None:
    spec = ExperimentSpec().replace(
        optimizer="nesterov",
        momentum=0.5,
        hidden=(8, 4),
        activation="relu",
        dataset="iris",
        init_from="sigmoid",
        gauge="reference",
        seed=7,
        networks=("softmax", "reference"),
    )
    assert spec.training.optimizer == "nesterov"
    assert spec.training.momentum == 0.5
    assert spec.model.hidden == (8, 4)
    assert spec.model.activation == "relu"
    assert spec.data.dataset == "iris"
    assert spec.init.init_from == "sigmoid"
    assert spec.init.gauge == "reference"
    assert spec.seed == 7
    assert spec.networks == ("softmax", "reference")
    # the original is unchanged
    assert ExperimentSpec().training.optimizer == "sgd"


def test_every_option_is_overridable_and_listed() -> None:
    spec = ExperimentSpec()
    names = [o.name for o in OPTIONS]
    assert len(names) == len(set(names))
    assert set(spec.options()) == set(names)
    for o in OPTIONS:
        if o.choices is not None:
            assert o.default is None or o.default in o.choices, o.name
        assert o.help


def test_from_options_treats_none_as_unset() -> None:
    spec = ExperimentSpec.from_options({"lr": 0.5, "batch_size": None, "csv": None})
    assert spec.training.lr == 0.5
    assert spec.training.batch_size is None
    assert spec.data.dataset == "breast_cancer"


def test_command_line_forms() -> None:
    spec = ExperimentSpec().replace(hidden="16,8", networks="0, 2", pairs="0:2")
    assert spec.model.hidden == (16, 8)
    assert spec.networks == ("0", "2")
    assert spec.pairs == (("0", "2"),)
    assert ExperimentSpec().replace(hidden="").model.hidden == ()
    assert ExperimentSpec().replace(hidden=()).model.hidden == ()


def test_csv_implies_dataset() -> None:
    spec = ExperimentSpec().replace(csv="data.csv", target="y")
    assert spec.data.dataset == "csv"
    assert spec.data.csv == "data.csv"


def test_toml_round_trip(tmp_path: Path) -> None:
    spec = ExperimentSpec().replace(
        optimizer="adam",
        lr=0.01,
        hidden=(8, 4),
        batch_size=32,
        weight_decay=0.1,
        weight_decay_mode="decoupled",
        networks=("0", "2"),
        pairs=(("0", "2"),),
        seed=3,
    )
    path = tmp_path / "exp.toml"
    path.write_text(spec.to_toml())
    assert ExperimentSpec.from_toml(path) == spec
    odd = ExperimentSpec().replace(csv='dir "x"\\data.csv', target="label ü")
    path.write_text(odd.to_toml())
    assert ExperimentSpec.from_toml(path) == odd
    assert ExperimentSpec.from_dict(spec.to_dict()) == spec


def test_toml_top_level_options(tmp_path: Path) -> None:
    path = tmp_path / "exp.toml"
    path.write_text('optimizer = "momentum"\nsteps = 10\n')
    spec = ExperimentSpec.from_toml(path)
    assert spec.training.optimizer == "momentum"
    assert spec.training.steps == 10


def test_toml_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"spec file .* does not exist"):
        ExperimentSpec.from_toml(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[training\n")
    with pytest.raises(InputValueError, match=r"is not valid TOML"):
        ExperimentSpec.from_toml(bad)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text("[training]\nhidden = [3]\n")
    with pytest.raises(
        InputValueError,
        match=r"unknown option 'hidden' in section \[training\]; accepted",
    ):
        ExperimentSpec.from_toml(wrong)
    notable = tmp_path / "notable.toml"
    notable.write_text("training = 3\n")
    with pytest.raises(InputTypeError, match=r"section \[training\] must be a table"):
        ExperimentSpec.from_toml(notable)
    floats = tmp_path / "floats.toml"
    floats.write_text("[training]\nsteps = 30.0\nbatch_size = 8.0\n")
    training = ExperimentSpec.from_toml(floats).training
    assert (training.steps, training.batch_size) == (30, 8)  # integral floats
    assert isinstance(training.steps, int)


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        (
            {"optimizer": "rmsprop"},
            r"`optimizer` must be one of 'sgd', 'momentum', 'nesterov', 'adam', "
            r"'adamw'; got 'rmsprop'",
        ),
        (
            {"activation": "gelu"},
            r"`activation` must be one of 'tanh', 'relu', 'sigmoid', 'identity'; "
            r"got 'gelu'",
        ),
        ({"lr": 0.0}, r"`lr` must be a positive finite real number; got 0.0"),
        ({"lr": -0.1}, r"`lr` must be a positive finite real number"),
        ({"lr": float("inf")}, r"`lr` must be a positive finite real number"),
        ({"lr": float("nan")}, r"`lr` must be a positive finite real number"),
        ({"steps": 0}, r"`steps` must be an integer in \[1, 2\*\*63 - 1\]; got 0"),
        ({"steps": -5}, r"`steps` must be an integer in \[1, 2\*\*63 - 1\]; got -5"),
        ({"hidden": (16, 0)}, r"`hidden` must be a sequence of positive integers"),
        ({"hidden": "a,b"}, r"`hidden` must be a sequence of positive integers"),
        ({"hidden": (-1,)}, r"`hidden` must be a sequence of positive integers"),
        ({"dataset": "mnist"}, r"`dataset` must be one of 'breast_cancer', 'iris'"),
        ({"dataset": "csv"}, r"`csv` must name a file when `dataset` is 'csv'"),
        ({"csv": "x.csv"}, r"`target` must name the label column"),
        ({"dataset": "iris", "csv": "x.csv"}, r"`csv` is only used with `dataset`"),
        ({"momentum": 1.0, "optimizer": "momentum"}, r"`momentum` must be a finite"),
        ({"beta2": 1.0}, r"`beta2` must be a finite real number in \[0, 1\)"),
        ({"momentum": 0.0, "optimizer": "momentum"}, r"`momentum` .* in \(0, 1\)"),
        (
            {"weight_decay": -1.0},
            r"`weight_decay` must be a non-negative finite real number",
        ),
        ({"weight_decay_mode": "both"}, r"`weight_decay_mode` must be one of"),
        (
            {"optimizer": "adamw", "weight_decay_mode": "coupled"},
            r"`weight_decay_mode` 'coupled' contradicts `optimizer` 'adamw'",
        ),
        ({"head_lr_multiplier": 0.0}, r"`head_lr_multiplier` must be a positive"),
        ({"batch_size": 0}, r"`batch_size` must be an integer in \[1, 2\*\*63 - 1\]"),
        ({"dtype": "float16"}, r"`dtype` must be one of 'float64', 'float32'"),
        (
            {"record_every": 0},
            r"`record_every` must be an integer in \[1, 2\*\*63 - 1\]",
        ),
        ({"test_size": 1.0}, r"`test_size` must be a finite real number in \(0, 1\)"),
        ({"n_classes": 1}, r"`n_classes` must be an integer >= 2"),
        ({"init_from": "logistic"}, r"`init_from` must be one of 'softmax'"),
        ({"gauge": "mean"}, r"`gauge` must be one of 'centered', 'reference'"),
        ({"networks": ("0", "3")}, r"`networks` entries must be among '0', '1'"),
        ({"networks": ("0", "0")}, r"`networks` has repeated names"),
        ({"networks": ()}, r"`networks` must be a non-empty sequence"),
        ({"pairs": ("0-2",)}, r"`pairs` entries must be 'A:B'"),
        ({"pairs": ("0:0",)}, r"`pairs` must compare two different networks"),
        (
            {"networks": ("0", "2"), "pairs": ("0:1",)},
            r"`pairs` names network '1', which is not in `networks`",
        ),
        ({"seed": -1}, r"`seed` must be an integer >= 0"),
        ({"learning_rate": 0.1}, r"unknown option 'learning_rate'; accepted options"),
    ],
)
def test_validation_names_the_option(overrides: dict[str, Any], match: str) -> None:
    with pytest.raises(InputValueError, match=match):
        ExperimentSpec().replace(**overrides)


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"steps": 2.5}, r"`steps` must be an integer in \[1, 2\*\*63 - 1\]; got 2.5"),
        (
            {"steps": "10"},
            r"`steps` must be an integer in \[1, 2\*\*63 - 1\]; got '10'",
        ),
        (
            {"batch_size": True},
            r"`batch_size` must be an integer in \[1, 2\*\*63 - 1\] or None",
        ),
        ({"lr": "0.1"}, r"`lr` must be a positive finite real number; got '0.1'"),
        ({"hidden": (2.5,)}, r"`hidden` must be a sequence of positive integers"),
        ({"hidden": 2.5}, r"`hidden` must be a sequence of positive integers"),
        ({"optimizer": 3}, r"`optimizer` must be one of 'sgd'"),
        ({"standardize": "yes"}, r"`standardize` must be a bool; got 'yes'"),
        ({"csv": 3}, r"`csv` must be a file path; got 3"),
        ({"dataset": "csv", "csv": "x.csv", "target": 0}, r"`target` must be a column"),
        ({"networks": 5}, r"`networks` must be a non-empty sequence of names"),
        ({"networks": ("0", 1)}, r"`networks` entries must be among .*; got 1"),
        ({"pairs": 5}, r"`pairs` must be a sequence of 'A:B' or \(A, B\); got 5"),
        ({"pairs": (("0", 2),)}, r"`pairs` entries must be 'A:B' or \(A, B\)"),
        ({"seed": 1.5}, r"`seed` must be an integer >= 0; got 1.5"),
    ],
)
def test_a_wrong_type_is_a_type_error(overrides: dict[str, Any], match: str) -> None:
    with pytest.raises(InputTypeError, match=match):
        ExperimentSpec().replace(**overrides)


def test_section_type_errors() -> None:
    with pytest.raises(
        InputTypeError, match=r"`training` must be a TrainingSpec; got dict"
    ):
        ExperimentSpec(training={})  # type: ignore[arg-type]
    with pytest.raises(InputTypeError, match=r"the spec must be a mapping; got list"):
        ExperimentSpec.from_dict([])  # type: ignore[arg-type]


def test_networks_need_the_right_number_of_classes() -> None:
    spec = ExperimentSpec().replace(networks=("0", "1"))
    with pytest.raises(
        InputValueError, match=r"`networks` entry '0' needs two classes"
    ):
        spec.resolved_networks(3)
    spec = ExperimentSpec().replace(pairs=("0:1c",))
    with pytest.raises(
        InputValueError, match=r"`pairs` names network '0', which is not"
    ):
        spec.resolved_pairs(3)


def test_network_names_and_defaults() -> None:
    assert set(default_networks(2)) <= set(network_names(2))
    assert set(default_networks(5)) == set(network_names(5))
    assert default_pairs(("0", "2")) == (("0", "2"),)
    assert default_pairs(("1", "2")) == (("2", "1"),)
    assert default_pairs(("1", "1c")) == ()


def test_record_interval_and_optimizer_spec() -> None:
    tr = ExperimentSpec().training
    assert tr.record_interval == 20
    assert ExperimentSpec().replace(steps=7).training.record_interval == 1
    assert ExperimentSpec().replace(record_every=3).training.record_interval == 3
    opt = ExperimentSpec().replace(optimizer="adamw", weight_decay=0.1).training
    assert opt.decoupled
    o = opt.optimizer_spec()
    assert (o.name, o.weight_decay, o.decoupled) == ("adamw", 0.1, True)
    sgdw = ExperimentSpec().replace(weight_decay=0.1, weight_decay_mode="decoupled")
    assert sgdw.training.optimizer_spec().decoupled


EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("experiment-*.toml"))


def test_examples_exist() -> None:
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_specs_load(path: Path) -> None:
    spec = ExperimentSpec.from_toml(path)
    assert spec.training.steps >= 1


def test_default_example_is_the_default() -> None:
    path = Path(__file__).parent.parent / "examples" / "experiment-default.toml"
    spec = ExperimentSpec.from_toml(path)
    assert spec.replace(networks=None, pairs=None) == ExperimentSpec()
    assert spec.resolved_pairs(2) == ExperimentSpec().resolved_pairs(2)
