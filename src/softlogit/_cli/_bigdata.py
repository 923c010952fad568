"""``softlogit fit`` and ``predict`` on data larger than memory, through Dask.

``DATA`` may be a file, a directory of Parquet files or a glob
(``'data/*.parquet'``, ``'logs/2024-*.csv'``; quote it, so that the shell leaves it
alone). The command goes through Dask
(:func:`wants_dask`) when ``DATA`` is a glob or a Parquet file, when
``--scheduler`` is given, or when the files are larger than ``--memory-fraction``
of this machine's memory; otherwise it reads one CSV file into memory as before.

Where Dask runs (:func:`session`): on the scheduler at ``--scheduler ADDRESS``
(reached within ``--connect-timeout`` seconds), in this process with
``--scheduler threads``, else on a local cluster of worker processes
(``distributed.LocalCluster``) when the data are larger than the memory fraction,
and in this process (Dask's threaded scheduler) when they are not.

``fit`` reads the files lazily (``dask.dataframe``), fits with the same solvers as
in memory (the passes over the data run on the workers) and prints every pass to
stderr (its kind, the objective and ``max |gradient|`` when computed).
``predict`` computes the predictions partition by partition, each with its
``--keep`` columns (by default every column that is not a feature; read as text
from CSV files, so that ``007`` stays ``007``; a cell pandas reads as missing is
written empty): into ``--out DIR/`` one CSV file per partition (``part-00000.csv``,
...) written by the workers, into ``--out FILE.csv`` or standard output one
partition after the other. ``--json`` brings the partitions' predictions into one
document, for data within ``--memory-fraction`` of the memory only: a JSON document
is parsed whole, so one for data larger than memory could not be read back.
"""

from __future__ import annotations

import glob
import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from softlogit.errors import CLIError

__all__ = ["fit_dask", "predict_dask", "session", "wants_dask"]

PARQUET = (".parquet", ".pq")


def _is_glob(data: str) -> bool:
    return glob.has_magic(data)


def _files(data: str) -> list[Path]:
    """The files of ``DATA`` (a path, a directory of Parquet files or a glob)."""
    path = Path(data)
    if _is_glob(data):
        found = sorted(Path(p) for p in glob.glob(data, recursive=True))
        files = [p for p in found if p.is_file()]
        if not files:
            raise CLIError(f"DATA {data!r} matches no file.")
        return files
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in PARQUET)
        if not files:
            raise CLIError(f"DATA {data!r} is a directory without Parquet files.")
        return files
    if not path.exists():
        raise CLIError(f"DATA {data!r} does not exist.")
    return [path]


def memory_bytes() -> int:
    """This machine's physical memory."""
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def _large(files: list[Path], fraction: float) -> bool:
    return sum(p.stat().st_size for p in files) > fraction * memory_bytes()


def wants_dask(data: str, scheduler: str | None, fraction: float) -> bool:
    """Whether ``DATA`` goes through Dask (see the module documentation)."""
    path = Path(data)
    if scheduler is not None or _is_glob(data) or path.suffix in PARQUET:
        return True
    if path.is_dir():  # a directory of Parquet files (a dataset)
        return any(p.suffix in PARQUET for p in path.iterdir())
    return path.is_file() and _large([path], fraction)


def _dask_dataframe() -> Any:
    try:
        import dask.dataframe as dd
    except ImportError:
        from softlogit.errors import MissingExtraError

        raise MissingExtraError("dask.dataframe and pyarrow", "dask") from None
    return dd


def read(data: str, text: list[str] | None = None) -> tuple[Any, list[Path]]:
    """The files of ``DATA`` as one Dask dataframe (CSV or Parquet, not mixed);
    the CSV columns ``text`` are read as text (``007`` stays ``007``)."""
    dd = _dask_dataframe()
    files = _files(data)
    kinds = {p.suffix in PARQUET for p in files}
    if len(kinds) > 1:
        raise CLIError(f"DATA {data!r} mixes Parquet and other files.")
    names = [str(p) for p in files]
    as_text = dict.fromkeys(text or [], "string")
    try:
        frame = (
            dd.read_parquet(names)
            if kinds == {True}
            else dd.read_csv(names, dtype=as_text or None)
        )
    except (ValueError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc)
        raise CLIError(f"DATA {data!r} cannot be read: {first}") from None
    return frame, files


@contextmanager
def session(
    scheduler: str | None, timeout: float, files: list[Path], fraction: float
) -> Iterator[str]:
    """Run the Dask computations of the block where the options say; yields a
    description (``'threads'``, ``'local cluster (2 workers)'``, the address)."""
    import dask

    from softlogit._dask._cluster import connect, local_cluster

    if scheduler == "threads" or (scheduler is None and not _large(files, fraction)):
        with dask.config.set(scheduler="threads"):
            yield "threads in this process"
        return
    if scheduler is not None:
        # Dask's client logs what it does about a lost scheduler (reconnecting,
        # then giving up, with tracebacks); the command reports the loss itself
        # (SchedulerLostError), its errors only, as with the local cluster.
        with _dask_log_level(logging.ERROR):
            client = connect(scheduler, timeout)
            try:
                yield f"the scheduler at {scheduler}"
            finally:
                with _dask_log_level(logging.CRITICAL):
                    client.close()
        return
    cluster, client = local_cluster()
    try:
        yield f"a local cluster ({len(cluster.workers)} worker processes)"
    finally:
        client.close()
        cluster.close()


@contextmanager
def _dask_log_level(level: int) -> Iterator[None]:
    """Dask's ``distributed`` loggers at ``level`` or above within the block (the
    package's logger and those of its modules with their own level, such as
    ``distributed.client``)."""
    loggers = [logging.getLogger("distributed")] + [
        logger
        for name, logger in logging.Logger.manager.loggerDict.items()
        if name.startswith("distributed.")
        and isinstance(logger, logging.Logger)
        and logger.level != logging.NOTSET
    ]
    before = [logger.level for logger in loggers]
    for logger, old in zip(loggers, before, strict=True):
        logger.setLevel(max(level, old))
    try:
        yield
    finally:
        for logger, old in zip(loggers, before, strict=True):
            logger.setLevel(old)


def _check_numeric(X: Any, data: str) -> None:
    """Every feature column of the dataframe must be numeric (its dtype)."""
    import pandas as pd

    for column, dt in zip(X.columns, X.dtypes, strict=True):
        if not (pd.api.types.is_numeric_dtype(dt) or pd.api.types.is_bool_dtype(dt)):
            raise CLIError(
                f"feature column {column!r} of {data!r} is not numeric (dtype {dt})."
            )


def _ignore_reader_noise() -> None:
    """Ignore the deprecation warning of dask's Parquet reader under pandas 3.1."""
    warnings.filterwarnings(
        "ignore", "The inplace keyword in DataFrame.reset_index", DeprecationWarning
    )


@contextmanager
def _quiet_readers() -> Iterator[None]:
    with warnings.catch_warnings():
        _ignore_reader_noise()
        yield


def _echo_pass(p: Any) -> None:
    parts = [f"pass {p.index:>3} {p.kind:<11}"]
    if p.objective is not None:
        parts.append(f"objective {p.objective:.10g}")
    if p.grad_max is not None:
        parts.append(f"max |gradient| {p.grad_max:.3g}")
    parts.append(f"{p.seconds:.2f} s")
    click.echo("  ".join(parts), err=True)


def _partition_labels(part: Any) -> Any:
    import pandas as pd

    return pd.Series(part.dropna().unique())


def _classes(y: Any, target: str) -> Any:
    """The distinct labels of the target column (one pass over that column; only
    the distinct labels of each partition come back)."""
    import numpy as np
    import pandas as pd

    from softlogit._dask._blocks import compute

    labels = y.map_partitions(_partition_labels, meta=pd.Series([], dtype=y.dtype))
    missing, found = compute(y.isna().sum(), labels)
    if int(missing):
        raise CLIError(f"target column {target!r} has {int(missing)} missing value(s).")
    return pd.Series(np.unique(found.to_numpy()))


def fit_dask(
    data: str,
    target: str,
    features: str | None,
    options: dict[str, Any],
    where: dict[str, Any],
) -> Any:
    """Read ``DATA`` lazily, fit the model that ``options`` describe (the arguments
    of :func:`softlogit._cli._fit._model` but the labels) through Dask, and return
    it with the captured warnings; ``where`` holds ``scheduler``, ``timeout``,
    ``fraction`` and ``standardize`` (``--standardize``: the means and standard
    deviations come from one pass over the partitions, the fit sees the
    standardized partitions, and the model returned carries the scaling)."""
    from softlogit._cli._fit import _model
    from softlogit._cli._table import feature_frame
    from softlogit._dask import progress

    frame, files = read(data)
    if target not in frame.columns:
        shown = ", ".join(repr(str(c)) for c in frame.columns)
        raise CLIError(f"--target {target!r} is not a column of {data!r} ({shown}).")
    X = feature_frame(frame, target, features, data)
    _check_numeric(X, data)
    y = frame[target]
    with (
        session(where["scheduler"], where["timeout"], files, where["fraction"]) as at,
        _quiet_readers(),
    ):
        size = sum(p.stat().st_size for p in files) / 1e6
        click.echo(
            f"fitting on {len(files)} file(s), {size:.1f} MB, "
            f"{frame.npartitions} partition(s), with Dask on {at}",
            err=True,
        )
        classes = _classes(y, target)
        if classes.size < 2:
            raise CLIError(
                f"target column {target!r} has a single class ({classes.iloc[0]!r}); "
                "a classifier needs at least two."
            )
        model = _model(y=classes, target=target, **options)
        scaling = _scaling(X) if where.get("standardize") else None
        with warnings.catch_warnings(record=True) as caught, progress(_echo_pass):
            warnings.simplefilter("always")
            _ignore_reader_noise()
            model.fit(X if scaling is None else scaling.transform(X), y)
    if scaling is not None:
        from softlogit._standardized import StandardizedModel

        model = StandardizedModel.from_fitted(model, scaling)
    return model, caught


def _scaling(X: Any) -> Any:
    """The scaling of ``--standardize``: means and population variances of the
    feature columns, from one pass over the partitions."""
    from softlogit._dask._blocks import compute
    from softlogit._scaling import Scaling

    X = X.astype("float64")
    mean, var, n = compute(X.mean(), X.var(ddof=0), X.shape[0])
    return Scaling.from_moments(
        mean.to_numpy(), var.to_numpy(), float(n), [str(c) for c in X.columns]
    )


def _predict_partition(
    part: Any, model: Any, names: list[str] | None, kept: list[str]
) -> Any:
    """The predictions of one partition: the ``kept`` columns, ``proba_<class>``
    and ``predicted`` (the features are the columns ``names``, or every column
    of ``part`` for a model fitted without names)."""
    import numpy as np
    import pandas as pd

    X = part[names] if names is not None else part.to_numpy(dtype=np.float64)
    proba = model.predict_proba(X)
    out = part[kept].copy() if kept else pd.DataFrame(index=part.index)
    for k, c in enumerate(model.classes_.tolist()):
        out[f"proba_{c}"] = proba[:, k]
    out["predicted"] = model.classes_[np.argmax(proba, axis=1)]
    return out


def _write_partition(
    part: Any,
    directory: str,
    model: Any,
    columns: tuple[Any, list[str]],
    partition_info: Any = None,
) -> Any:
    """Write one partition's predictions to ``directory/part-NNNNN.csv``."""
    import pandas as pd

    number = 0 if partition_info is None else int(partition_info["number"])
    text = _predict_partition(part, model, *columns).to_csv(index=False)
    (Path(directory) / f"part-{number:05d}.csv").write_text(text, encoding="utf-8")
    return pd.Series([len(part)])


def _prediction_input(
    model: Any, data: str, keep: str | None
) -> tuple[Any, list[Path], tuple[list[str] | None, list[str]]]:
    """The columns of ``DATA`` that predict reads (the features and the ``--keep``
    columns, those of CSV files as text), its files, and the feature names (None:
    every column) and kept columns."""
    from softlogit._cli._fit import _prediction_columns
    from softlogit._cli._predict import kept_columns

    frame, files = read(data)
    columns = [str(c) for c in frame.columns]
    names = _prediction_columns(model, columns, data)
    features = columns if names is None else names
    outputs = [f"proba_{c}" for c in model.classes_.tolist()] + ["predicted"]
    kept = kept_columns(columns, features, keep, outputs)
    text = [c for c in kept if c not in features]
    if text and files[0].suffix not in PARQUET:
        frame, files = read(data, text)
    _check_numeric(frame[features], data)
    return frame[list(dict.fromkeys(features + kept))], files, (names, kept)


def predictions_in_memory(
    model: Any, data: str, keep: str | None, where: dict[str, Any]
) -> tuple[Any, list[str], list[Any]]:
    """``softlogit predict --json`` through Dask: every partition's predictions,
    brought into memory, the kept columns and the warnings. Refused for data
    larger than the memory fraction: one JSON document is parsed whole."""
    import pandas as pd

    frame, files, columns = _prediction_input(model, data, keep)
    if _large(files, where["fraction"]):
        size = sum(p.stat().st_size for p in files) / 1e6
        raise CLIError(
            f"--json writes one JSON document, which a reader parses whole; DATA "
            f"{data!r} ({size:.1f} MB) is larger than --memory-fraction "
            f"{where['fraction']:g} of the memory: write CSV instead (--out DIR/ "
            "writes one file per partition)."
        )
    with (
        session(where["scheduler"], where["timeout"], files, where["fraction"]),
        _quiet_readers(),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        _ignore_reader_noise()
        parts = [
            _predict_partition(_partition(frame, i), model, *columns)
            for i in range(frame.npartitions)
        ]
    result = pd.concat(parts, ignore_index=True)
    kept = columns[1]
    # missing kept values (pandas' NA) are JSON null
    result[kept] = result[kept].astype(object).where(result[kept].notna(), None)
    return result, kept, caught


def predict_dask(
    model: Any,
    data: str,
    out: str | None,
    force: bool,
    where: dict[str, Any],
    keep: str | None = None,
) -> int:
    """``softlogit predict`` through Dask: partition by partition (see the module
    documentation), the ``--keep`` columns carried in every partition. ``where``
    holds ``scheduler``, ``timeout`` and ``fraction``."""
    from softlogit._cli._fit import _check_out

    X, files, chosen = _prediction_input(model, data, keep)
    to_dir = out is not None and not out.endswith(".csv")
    if not to_dir:
        _check_out(out, force, "--out")
    with (
        session(where["scheduler"], where["timeout"], files, where["fraction"]),
        _quiet_readers(),
    ):
        if to_dir:
            assert out is not None
            rows = _write_directory(X, out, force, model, chosen)
            what = f"{X.npartitions} files"
        else:
            rows = _stream(X, out, model, chosen)
            what = "one partition after the other"
    if out is not None:
        click.echo(f"wrote {rows} predictions to {out!r} ({what})", err=True)
    return 0


# Marks a directory of predictions, which a later run may replace without --force.
MARKER = ".softlogit-predictions"


def _write_directory(X: Any, out: str, force: bool, model: Any, columns: Any) -> int:
    """One CSV file per partition, each written where the partition is computed
    (into a temporary directory moved into place at the end)."""
    import pandas as pd

    from softlogit._dask._blocks import compute
    from softlogit._io import atomic_directory

    with atomic_directory(out, force=force, marker=MARKER, name="--out") as tmp:
        counts = X.map_partitions(
            _write_partition, str(tmp), model, columns, meta=pd.Series([0])
        )
        return int(compute(counts.sum())[0])


def _stream(X: Any, out: str | None, model: Any, columns: Any) -> int:
    """The predictions of one partition after the other, to standard output or
    (through a temporary file renamed at the end, :func:`softlogit._io.atomic_path`)
    to ``out`` (already checked against ``--force``)."""
    from softlogit._io import atomic_path

    if out is None:
        return _write_partitions(X, model, columns, None)
    with (
        atomic_path(out, force=True, name="--out", suffix=".csv") as tmp,
        open(tmp, "w", encoding="utf-8", newline="") as handle,
    ):
        return _write_partitions(X, model, columns, handle)


def _partition(frame: Any, i: int) -> Any:
    """Partition ``i`` of a Dask dataframe, computed as every pass is
    (:func:`softlogit._dask._blocks.compute`: on a cluster, workers lost for good
    end it with :class:`~softlogit.WorkersLostError`)."""
    from softlogit._dask._blocks import compute

    return compute(frame.get_partition(i))[0]


def _write_partitions(X: Any, model: Any, columns: Any, handle: Any) -> int:
    """Each partition's predictions in turn to ``handle`` (None: standard output)."""
    rows = 0
    for i in range(X.npartitions):
        part = _predict_partition(_partition(X, i), model, *columns)
        text = part.to_csv(index=False, header=i == 0)
        rows += len(part)
        if handle is None:
            click.echo(text, nl=False)
        else:
            handle.write(text)
    return rows


def dask_options(command: Any) -> Any:
    """``--scheduler``, ``--connect-timeout`` and ``--memory-fraction``."""
    for option in reversed(
        [
            click.option(
                "--scheduler",
                default=None,
                metavar="ADDRESS|threads",
                help="Run through Dask on the scheduler at ADDRESS (host:port), or "
                "'threads' for Dask's threaded scheduler in this process.",
            ),
            click.option(
                "--connect-timeout",
                default=10.0,
                show_default=True,
                type=click.FloatRange(min=0.0),
                metavar="SECONDS",
                help="How long to wait for --scheduler.",
            ),
            click.option(
                "--memory-fraction",
                default=0.25,
                show_default=True,
                type=click.FloatRange(min=0.0),
                help="Data (files) larger than this fraction of the memory go through "
                "Dask on a local cluster of worker processes.",
            ),
        ]
    ):
        command = option(command)
    return command
