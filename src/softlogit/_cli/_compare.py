"""``softlogit compare``: the seed's experiment, trained side by side and reported.

Every option of the experiment spec (:data:`softlogit.experiment.OPTIONS`) is a
command-line option of the same name (``lr`` -> ``--lr``, ``batch_size`` ->
``--batch-size``); ``--config FILE.toml`` reads a spec and the options given on the
command line override it. The run prints a table of pairs and verdicts and the answers
to the seed's two questions, and writes a report directory atomically.
"""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click

from softlogit._cli._names import flag as _flag
from softlogit._cli._names import to_cli_names
from softlogit._cli._pipeline import run_and_report
from softlogit.errors import CLIError, SoftlogitError
from softlogit.experiment._spec import OPTIONS, ExperimentSpec, OptionInfo

__all__ = [
    "KERAS_STYLES",
    "MARKER",
    "compare",
    "keras_engine",
    "parse_hidden",
    "parse_pairs",
]

#: a file in every report directory; a directory holding it is replaced without --force
MARKER = ".softlogit-report"

DEFAULT_OUT = "softlogit-report"


def parse_hidden(text: str) -> tuple[int, ...]:
    """Parse ``--hidden``: comma-separated positive layer sizes; ``none``, ``0`` or empty for no layer.

    Examples
    --------
    >>> parse_hidden("16"), parse_hidden("32, 16"), parse_hidden("none")
    ((16,), (32, 16), ())
    >>> parse_hidden("0")  # also no hidden layer; a 0 inside a list is an error
    ()
    >>> parse_hidden("16,x")
    Traceback (most recent call last):
    ...
    softlogit.errors.CLIError: `--hidden` must be comma-separated positive integers ...
    """
    stripped = text.strip().lower()
    if stripped in {"", "none", "0", "()"}:
        return ()
    sizes: list[int] = []
    for part in stripped.split(","):
        token = part.strip()
        if not token.isdigit() or int(token) <= 0:
            raise CLIError(
                "`--hidden` must be comma-separated positive integers (e.g. 16 or "
                f"32,16), or 'none' for no hidden layer; got {text!r}."
            )
        sizes.append(int(token))
    return tuple(sizes)


def parse_pairs(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Parse repeated ``--pair A:B`` options (also ``A,B``).

    Examples
    --------
    >>> parse_pairs(("0:1", "2,1c"))
    (('0', '1'), ('2', '1c'))
    >>> parse_pairs(("0-1",))
    Traceback (most recent call last):
    ...
    softlogit.errors.CLIError: `--pair` must be two network names written A:B ...
    """
    pairs: list[tuple[str, str]] = []
    for value in values:
        parts = [p.strip() for p in re.split(r"[:,]", value)]
        if len(parts) != 2 or not all(parts):
            raise CLIError(
                "`--pair` must be two network names written A:B (e.g. 0:1); got "
                f"{value!r}."
            )
        pairs.append((parts[0], parts[1]))
    return tuple(pairs)


def _spec_option(
    info: OptionInfo,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The click option of one spec option (default None: "not given")."""
    flag = _flag(info.name)
    help_text = info.help
    if info.default is not None and info.kind != "bool":
        default = info.default
        if isinstance(default, tuple):
            default = ",".join(map(str, default)) or "none"
        help_text += f"  [default: {default}]"
    if info.kind == "bool":
        return click.option(
            f"{flag}/--no-{flag[2:]}",
            info.name,
            default=None,
            help=f"{help_text}  [default: {'yes' if info.default else 'no'}]",
        )
    if info.kind == "ints":
        return click.option(
            flag, info.name, default=None, metavar="N[,N...]|none", help=help_text
        )
    if info.kind == "names":
        return click.option(
            flag, info.name, default=None, metavar="NAME[,NAME...]", help=help_text
        )
    if info.kind == "pairs":
        return click.option(
            flag, info.name, multiple=True, metavar="A:B", help=help_text
        )
    if info.choices is not None:
        return click.option(
            flag,
            info.name,
            type=click.Choice(info.choices),
            default=None,
            help=help_text,
        )
    kind: type = {"int": int, "float": float}.get(info.kind, str)
    return click.option(flag, info.name, type=kind, default=None, help=help_text)


def _with_spec_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for info in reversed(OPTIONS):
        func = _spec_option(info)(func)
    return func


def _overrides(params: Mapping[str, Any]) -> dict[str, object]:
    """The spec options given on the command line, parsed."""
    out: dict[str, object] = {}
    for info in OPTIONS:
        value = params.get(info.name)
        if value is None or value == ():
            continue
        if info.kind == "ints":
            value = parse_hidden(str(value))
        elif info.kind == "names":
            value = tuple(p.strip() for p in str(value).split(",") if p.strip())
        elif info.kind == "pairs":
            value = parse_pairs(tuple(value))
        out[info.name] = value
    if params.get("decoupled") is not None:
        mode = "decoupled" if params["decoupled"] else "coupled"
        given = out.get("weight_decay_mode")
        if given is not None and given != mode:
            raise CLIError(
                f"`--decoupled` contradicts `--weight-decay-mode {given}`; give one."
            )
        out["weight_decay_mode"] = mode
    return out


def build_spec(config: str | None, overrides: Mapping[str, object]) -> ExperimentSpec:
    """The spec of a run: the config file (or the defaults), then the command line.

    Raises
    ------
    CLIError
        For an invalid config file or option value; the message names the file or
        the option (as a flag) and the accepted values.
    """
    base = ExperimentSpec()
    if config is not None:
        try:
            base = ExperimentSpec.from_toml(config)
        except SoftlogitError as exc:
            raise CLIError(f"`--config` {config!r}: {exc}") from None
        except FileNotFoundError:
            raise CLIError(f"`--config` file {config!r} does not exist.") from None
    try:
        return base.replace(**overrides)
    except SoftlogitError as exc:
        raise CLIError(to_cli_names(str(exc))) from None


def _command_line(params: Mapping[str, Any]) -> str:
    """The command that reproduces a run, from the options that were given."""
    words = ["softlogit", "compare"]
    for name, value in params.items():
        if value is None or value is False or value == ():
            continue
        flag = (
            _flag(name)
            if name in {o.name for o in OPTIONS}
            else ("--" + name.replace("_", "-"))
        )
        if value is True:
            words.append(flag)
        elif isinstance(value, tuple):
            for v in value:
                words += [flag, str(v)]
        else:
            words += [flag, str(value)]
    return shlex.join(words)


def _check_out(out: Path, force: bool) -> None:
    """Refuse early (before training) to overwrite a directory that is not ours."""
    resolved = out.resolve()
    cwd = Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents or resolved == Path.home().resolve():
        raise CLIError(
            f"`--out` {str(out)!r} is the current directory, one of its parents or "
            "the home directory; a report directory is replaced as a whole, so name "
            "a new directory (e.g. --out softlogit-report)."
        )
    if out.exists():
        if not out.is_dir():
            raise CLIError(f"`--out` {str(out)!r} exists and is not a directory.")
        if not force and not (out / MARKER).is_file():
            raise CLIError(
                f"`--out` {str(out)!r} already exists and is not a softlogit report; "
                "pass --force to replace it, or choose another --out."
            )
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise CLIError(
            f"`--out` {str(out)!r}: the directory {str(parent)!r} does not exist."
        )


def _check_engine(engine: str) -> None:
    from softlogit.experiment import available_engines

    known = ("numpy", "torch", "keras")
    available = available_engines()
    if engine not in known:
        raise CLIError(
            f"`--engine` must be one of {', '.join(map(repr, known))}; got {engine!r}."
        )
    if engine not in available:
        raise CLIError(
            f"`--engine` {engine!r} is not available here; available: "
            f"{', '.join(map(repr, available))}."
        )


#: --keras-style -> the engine that runs it (softlogit.experiment.ENGINES)
KERAS_STYLES: tuple[str, ...] = ("exact", "fit", "fit-logits")


def keras_engine(engine: str, style: str) -> str:
    """The engine of ``--engine`` with ``--keras-style``.

    Examples
    --------
    >>> keras_engine("keras", "fit"), keras_engine("keras", "exact")
    ('keras-fit', 'keras')
    >>> keras_engine("numpy", "fit")
    Traceback (most recent call last):
    ...
    softlogit.errors.CLIError: `--keras-style fit` needs `--engine keras`; got ...
    """
    if style == "exact":
        return engine
    if engine != "keras":
        raise CLIError(
            f"`--keras-style {style}` needs `--engine keras`; got `--engine {engine}`."
        )
    return f"keras-{style}"


@click.command(
    "compare",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    default=None,
    help="TOML file with a spec; options given here override it.",
)
@_with_spec_options
@click.option(
    "--engine",
    default="numpy",
    show_default=True,
    help="Implementation that trains the networks: numpy (the float64 reference), "
    "torch or keras, where installed.",
)
@click.option(
    "--keras-style",
    type=click.Choice(KERAS_STYLES),
    default="exact",
    show_default=True,
    help="With --engine keras: 'exact' (losses from logits, GradientTape-style "
    "steps), 'fit' (plain Keras models ending in softmax/sigmoid, trained with "
    "model.fit, as a learner writes them) or 'fit-logits' (the same with the "
    "one-line fix, losses from_logits=True).",
)
@click.option(
    "--decoupled/--coupled",
    "decoupled",
    default=None,
    help="Shorthand for --weight-decay-mode decoupled / coupled.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default=DEFAULT_OUT,
    show_default=True,
    help="Report directory (report.html, result.json, plots, data).",
)
@click.option(
    "--force", is_flag=True, help="Replace --out even if it is not a softlogit report."
)
@click.option("--no-report", is_flag=True, help="Do not write the report directory.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print result.json on standard output instead of the table.",
)
@click.option(
    "--quiet", "-q", is_flag=True, help="No progress bar and no table; errors only."
)
def compare(**params: Any) -> int:
    """Train networks 0, 1, 2 and 1c side by side and compare them.

    Networks 0 and 2 are the same function of the same parameters (T4); network 1 is
    the sigmoid head with w = w2 - w1, whose difference moves half as fast (T5);
    network 1c doubles its head learning rate and follows 0 and 2 to rounding.
    """
    config = params.pop("config")
    out = Path(params.pop("out"))
    force = bool(params.pop("force"))
    no_report = bool(params.pop("no_report"))
    as_json = bool(params.pop("as_json"))
    quiet = bool(params.pop("quiet"))
    engine = str(params.pop("engine"))
    style = str(params.pop("keras_style"))
    spec = build_spec(config, _overrides(params))
    _check_engine(engine)
    run_engine = keras_engine(engine, style)
    if not no_report:
        _check_out(out, force)
    command = _command_line(
        {
            "config": config,
            **params,
            "engine": None if engine == "numpy" else engine,
            "keras_style": None if style == "exact" else style,
        }
    )
    if str(out) != DEFAULT_OUT:
        command += " " + shlex.join(["--out", str(out)])
    return run_and_report(
        spec,
        engine=run_engine,
        out=None if no_report else out,
        force=force,
        as_json=as_json,
        quiet=quiet,
        command=command,
        stdout=sys.stdout,
        stderr=sys.stderr,
        marker=MARKER,
    )
