"""``softlogit convert``: a saved model's softmax head to a sigmoid head, or back.

Reads a PyTorch state dict (``.pt``/``.pth``), a Keras 3 model (``.keras``) or a
softlogit JSON model (``.json``), converts its head with
:func:`softlogit.convert_head` and writes the new model in the same format.
Loading never runs code from the file: ``torch.load(..., weights_only=True)``,
Keras' ``safe_mode=True``, softlogit's validated JSON; pickle files are refused. The
command prints the head it found, what it wrote and, with ``--verify``, the largest
difference of the positive-class probabilities on the rows of a CSV file. The
output is written atomically and never replaces a file without ``--force``; a
failed verification (exit code 1) writes nothing.
"""

from __future__ import annotations

import io
import os
import pickle
import warnings
import zipfile
from pathlib import Path
from typing import Any

import click

from softlogit.errors import CLIError

__all__ = ["convert"]

_SETTINGS = {"help_option_names": ["-h", "--help"]}
# file suffix -> format
_FORMATS = {".pt": "torch", ".pth": "torch", ".keras": "keras", ".json": "json"}
_REFUSED = {
    ".pkl": "a pickle file",
    ".pickle": "a pickle file",
    ".joblib": "a joblib (pickle) file",
    ".h5": "a legacy Keras 2 (HDF5) file",
    ".hdf5": "a legacy Keras 2 (HDF5) file",
}
_SUPPORTED = ".pt/.pth (PyTorch state dict), .keras (Keras 3), .json (softlogit model)"


def _format_of(path: str, option: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in _FORMATS:
        return _FORMATS[suffix]
    if suffix in _REFUSED:
        raise CLIError(
            f"{option} {path!r} is {_REFUSED[suffix]}; softlogit never loads or "
            "writes pickles (loading one runs code) nor legacy formats. Supported: "
            f"{_SUPPORTED}. In Python, convert a scikit-learn model with "
            "softlogit.convert_head(est, ...)."
        )
    raise CLIError(
        f"{option} {path!r} has an unsupported suffix {suffix!r}; supported: "
        f"{_SUPPORTED}."
    )


# ------------------------------------------------------------------------ loading
def _load_torch(path: str) -> Any:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is installed in CI
        raise CLIError(
            "reading .pt files needs PyTorch: `pip install 'softlogit[torch]'`."
        ) from None
    from softlogit._convert._torch import is_state_dict

    try:
        with warnings.catch_warnings():
            # torch warns about the pickle protocol of files it then refuses
            warnings.simplefilter("ignore", UserWarning)
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise CLIError(
            f"MODEL {path!r} cannot be loaded safely: it holds Python objects that "
            "only an unsafe pickle load would rebuild (such as a whole nn.Module "
            "saved with torch.save(model)). softlogit loads with "
            "torch.load(weights_only=True) only: save model.state_dict() instead."
        ) from None
    except (RuntimeError, EOFError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc)
        raise CLIError(f"MODEL {path!r} is not a PyTorch file: {first}") from None
    if not is_state_dict(obj):
        raise CLIError(
            f"MODEL {path!r} holds a {type(obj).__name__}, not a state dict (a "
            "mapping of names to tensors); save model.state_dict()."
        )
    return obj


def _load_keras(path: str) -> Any:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from softlogit._convert._keras import import_keras

    if not zipfile.is_zipfile(path):
        raise CLIError(f"MODEL {path!r} is not a Keras 3 model file (a .keras zip).")
    keras = import_keras()
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except ValueError as exc:
        if "safe_mode" in str(exc):
            raise CLIError(
                f"MODEL {path!r} cannot be loaded safely: it holds code (a Lambda "
                "layer or a Python function) that Keras loads only with "
                "safe_mode=False, which softlogit never uses. Replace the Lambda "
                "layer by a registered layer and save again."
            ) from None
        raise CLIError(f"MODEL {path!r} is not a loadable Keras model: {exc}") from None
    except (KeyError, TypeError, OSError) as exc:  # no config.json, unknown classes
        raise CLIError(f"MODEL {path!r} is not a loadable Keras model: {exc}") from None


def _load(path: str, fmt: str) -> Any:
    if not Path(path).is_file():
        raise CLIError(f"MODEL {path!r} does not exist.")
    if fmt == "torch":
        return _load_torch(path)
    if fmt == "keras":
        return _load_keras(path)
    from softlogit._persistence import load_model

    try:
        model = load_model(path)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    if getattr(model, "scaling_", None) is not None:
        raise CLIError(
            f"MODEL {path!r} was fitted on standardized features (softlogit fit "
            "--standardize); its head alone would predict wrongly from raw "
            "features, and convert keeps no scaling: refit it without --standardize."
        )
    return model


def _verify_rows(path: str, model: Any) -> Any:
    """The rows of DATA.csv as a float64 array (a JSON model's named features)."""
    import numpy as np
    import pandas as pd

    if not Path(path).is_file():
        raise CLIError(f"--verify {path!r} does not exist.")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        raise CLIError(f"--verify {path!r} is not a CSV file with a header.") from None
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        absent = [str(n) for n in names if str(n) not in frame.columns]
        if absent:
            raise CLIError(f"--verify {path!r} lacks the feature column(s) {absent}.")
        frame = frame[[str(n) for n in names]]
    try:
        X = frame.to_numpy(dtype=np.float64)
    except (ValueError, TypeError):
        raise CLIError(
            f"--verify {path!r} must hold numeric feature columns only."
        ) from None
    if X.shape[0] == 0 or not np.all(np.isfinite(X)):
        raise CLIError(f"--verify {path!r} must hold rows of finite numbers.")
    # a model fitted on named columns is given them (scikit-learn checks names)
    return X if names is None else pd.DataFrame(X, columns=frame.columns)


# ------------------------------------------------------------------------ writing
def _write(new: Any, fmt: str, out: str, force: bool) -> None:
    from softlogit._io import atomic_write_bytes

    if fmt == "torch":
        import torch

        buffer = io.BytesIO()
        torch.save(new, buffer)
        atomic_write_bytes(out, buffer.getvalue(), force=force, name="--out")
    elif fmt == "json":
        new.save(out, force=force)
    else:  # keras writes only to paths ending in .keras: a temporary sibling
        from softlogit._io import atomic_path

        with atomic_path(out, force=force, name="--out", suffix=".keras") as tmp:
            new.save(tmp)


def _check_out(out: str, force: bool, fmt: str) -> None:
    from softlogit._io import check_target

    if _format_of(out, "--out") != fmt:
        raise CLIError(
            f"--out {out!r} must have the MODEL's format ({fmt}: "
            f"{', '.join(s for s, f in _FORMATS.items() if f == fmt)})."
        )
    try:
        check_target(Path(out), force, "--out")
    except (FileExistsError, FileNotFoundError) as exc:
        raise CLIError(str(exc)) from None


# ------------------------------------------------------------------------ command
@click.command("convert", context_settings=_SETTINGS)
@click.argument("model_path", metavar="MODEL")
@click.option(
    "--to",
    "to",
    type=click.Choice(["sigmoid", "softmax"]),
    required=True,
    help="The head to make: one sigmoid unit or two softmax units.",
)
@click.option(
    "--head",
    default=None,
    metavar="NAME",
    help="The head: a state-dict key prefix (default: the last 2-D *.weight) or a "
    "Keras layer name (default: the output layer).",
)
@click.option(
    "--gauge",
    type=click.Choice(["centered", "reference"]),
    default="centered",
    show_default=True,
    help="--to softmax: rows -w/2, w/2 (centered) or 0, w (reference).",
)
@click.option(
    "--positive",
    type=click.IntRange(0, 1),
    default=1,
    show_default=True,
    help="The softmax unit whose probability the sigmoid gives.",
)
@click.option("--out", required=True, metavar="NEW", help="Write the new model there.")
@click.option(
    "--verify",
    "verify_path",
    default=None,
    metavar="DATA.csv",
    help="Check both models on these rows (numeric columns: the model's inputs; "
    "for a state dict, the head's inputs).",
)
@click.option(
    "--tol",
    type=click.FloatRange(0, min_open=True),
    default=None,
    metavar="FLOAT",
    help="The largest difference --verify accepts (default 1e-12 for float64, "
    "1e-6 for float32).",
)
@click.option("--force", is_flag=True, help="Overwrite NEW if it exists.")
def convert(
    model_path: str,
    to: str,
    head: str | None,
    gauge: str,
    positive: int,
    out: str,
    verify_path: str | None,
    tol: float | None,
    force: bool,
) -> int:
    """Convert MODEL's two-unit softmax head to a one-unit sigmoid head, or back.

    MODEL is a PyTorch state dict (.pt, .pth), a Keras 3 model (.keras) or a
    softlogit model (.json); NEW is written in the same format. The probabilities
    do not change: w = w2 - w1 and b = b2 - b1 (and back, in the chosen gauge).
    """
    from softlogit._convert import convert_head
    from softlogit._convert._common import VerificationError

    fmt = _format_of(model_path, "MODEL")
    _check_out(out, force, fmt)
    model = _load(model_path, fmt)
    X = None if verify_path is None else _verify_rows(verify_path, model)
    try:
        done = convert_head(
            model,
            to=to,  # type: ignore[arg-type]
            head=head,
            gauge=gauge,  # type: ignore[arg-type]
            positive=positive,
            verify=X,
            tol=tol,
        )
    except VerificationError as exc:
        raise CLIError(f"{exc} Nothing was written.", exit_code=1) from None
    click.echo(
        f"found: head {done.head!r} in {model_path!r}: {done.before} [{done.dtype}]"
    )
    _write(done.model, fmt, out, force)
    click.echo(f"wrote: {out!r}: {done.after} [{done.dtype}]")
    if done.max_diff is None:
        click.echo("not verified (pass --verify DATA.csv to check the probabilities)")
    else:
        click.echo(
            f"verified on {done.n_verified} rows of {verify_path!r}: max |P(new) - "
            f"P(original)| = {done.max_diff:.3g} (tolerance {done.tolerance:.0e})"
        )
    if fmt == "keras":
        loss = "binary" if to == "sigmoid" else "categorical"
        click.echo(
            f"note: the new model is not compiled; compile it with {loss} "
            "cross-entropy (from the logits when the head has no activation)"
        )
    if fmt == "torch":
        click.echo(
            "note: a state dict holds no activation: the model's code must "
            "match the new head (its nn.Linear size, and a sigmoid with "
            "BCEWithLogitsLoss or a softmax with CrossEntropyLoss)"
        )
    return 0
