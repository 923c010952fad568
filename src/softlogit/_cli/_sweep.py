"""``softlogit sweep``: the atlas of where networks 0 and 1 end with similar weights.

Without arguments it runs the default grid (:data:`DEFAULT_GRID`: learning rate x
optimizer x batch size on breast_cancer, three seeds). ``--grid name=values``
(repeated) or ``--config grid.toml`` define another; every option of ``softlogit
compare`` fixes that option in every cell. The rows go to ``OUT/rows.parquet`` as
they finish; ``--resume`` reuses the rows already there (an interrupted run, or a
smaller grid's cells), and ``--show RESULTS`` draws the atlas of stored rows without
training.
"""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path
from typing import Any

import click

from softlogit._cli._compare import _overrides, _with_spec_options
from softlogit._cli._names import to_cli_names
from softlogit.errors import CLIError, SoftlogitError

__all__ = ["MARKER", "sweep"]

#: a file in every atlas directory; a directory holding it is reused without --force
MARKER = ".softlogit-atlas"
DEFAULT_OUT = "softlogit-atlas"


def _grid(
    config: str | None,
    axes: tuple[str, ...],
    seeds: int | None,
    fixed: dict[str, object],
) -> Any:
    from softlogit.experiment._sweep_grid import DEFAULT_GRID, SweepGrid

    try:
        if config is not None and axes:
            raise CLIError("give the grid as `--config` or as `--grid`, not both.")
        if config is not None:
            grid = SweepGrid.from_toml(config)
        elif axes:
            grid = SweepGrid.from_strings(axes, seeds or 3)
        else:
            grid = DEFAULT_GRID
        if fixed or (seeds is not None and config is not None) or (seeds and not axes):
            grid = SweepGrid(
                grid.axes,
                tuple(range(seeds)) if seeds else grid.seeds,
                grid.base.replace(**fixed),
            )
    except SoftlogitError as exc:
        if isinstance(exc, CLIError):
            raise
        raise CLIError(to_cli_names(str(exc))) from None
    return grid


def _check_out(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise CLIError(f"`--out` {str(out)!r} exists and is not a directory.")
    ours = (out / MARKER).is_file()
    if out.is_dir() and any(out.iterdir()) and not ours and not force:
        raise CLIError(
            f"`--out` {str(out)!r} already exists and is not a softlogit atlas; "
            "pass --force to use it, or choose another --out."
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).touch()


@click.command(
    "sweep",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--grid",
    "axes",
    multiple=True,
    metavar="NAME=VALUES",
    help="A swept option: v1,v2,... or low..high:Nlog (e.g. lr=1e-4..1e-1:7log, "
    "batch_size=full,32, hidden=8,32/16). Repeat for more axes.",
)
@click.option("--seeds", type=int, default=None, help="Seeds per cell: 0..N-1 [3].")
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    default=None,
    help="TOML grid file: seeds, [fixed] options, [grid] axes.",
)
@_with_spec_options
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=DEFAULT_OUT,
    show_default=True,
    help="Directory of the rows (rows.parquet), the page (atlas.html) and the maps.",
)
@click.option("--force", is_flag=True, help="Use --out even if it is not an atlas.")
@click.option(
    "--resume", is_flag=True, help="Reuse the rows already in --out (skip them)."
)
@click.option(
    "--show",
    "show",
    type=click.Path(),
    default=None,
    metavar="RESULTS",
    help="Draw the atlas of stored rows (a rows.parquet or its directory); no training.",
)
@click.option(
    "--processes", type=int, default=None, help="Local processes [one per core]."
)
@click.option(
    "--workers", type=int, default=None, help="Run on a Dask LocalCluster of N workers."
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Run on the Dask scheduler at ADDRESS (tcp://host:8786).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
def sweep(**params: Any) -> int:
    """Map where networks 0 and 1 (and 2 and 1) end with similar weights.

    Every cell of the grid trains networks 0, 1, 2, 1c, the one-ulp control and
    network 1 from another seed's initialization (the natural variability), for each
    seed; the atlas compares each pair with two random initializations.
    """
    import softlogit
    from softlogit._report._atlas_html import print_atlas, write_atlas
    from softlogit._report._terminal import make_console
    from softlogit.experiment._atlas import build_atlas
    from softlogit.experiment._theory import rounding_tolerance

    out = Path(params.pop("out"))
    quiet = bool(params.pop("quiet"))
    show = params.pop("show")
    out_given = (
        click.get_current_context().get_parameter_source("out")
        is not click.core.ParameterSource.DEFAULT
    )
    start = time.perf_counter()
    if show is not None:
        grid, rows = _stored(show)
        if not out_given:
            out = Path(show) if Path(show).is_dir() else Path(show).parent
    else:
        fixed = _overrides(params)
        grid = _grid(params["config"], tuple(params["axes"]), params["seeds"], fixed)
        _check_out(out, bool(params["force"]))
        rows = _run(grid, out, params, quiet)
    atlas = build_atlas(rows, grid.axes, grid.seeds)
    steps = max(s.training.steps for s in grid.specs())
    page = write_atlas(
        out,
        atlas,
        tolerance=rounding_tolerance(grid.base.training.dtype, steps),
        command=_command(grid),
        version=softlogit.__version__,
        seconds=None if show is not None else time.perf_counter() - start,
    )
    if not quiet:
        console = make_console(sys.stdout)
        print_atlas(atlas, console)
        console.print(f"atlas: {page}")
    return 0


def _stored(show: str) -> tuple[Any, list[dict[str, Any]]]:
    """The grid of a store and its rows (``--show``)."""
    from softlogit.experiment._sweep_grid import SweepGrid
    from softlogit.experiment._sweep_store import read_rows

    rows, stored = read_rows(show)
    if not stored:
        raise CLIError(f"`--show` {show!r} holds no grid description.")
    grid = SweepGrid.from_dict(stored)
    keys = set(_keys(grid))
    mine = [r for r in rows if r["key"] in keys]
    if not mine:
        raise CLIError(
            f"`--show` {show!r} holds no rows of its grid as this version of "
            "softlogit measures them; run the sweep again."
        )
    return grid, mine


def _run(
    grid: Any, out: Path, params: dict[str, Any], quiet: bool
) -> list[dict[str, Any]]:
    """Train the rows of ``grid`` into ``out``, with the progress bar."""
    from softlogit._report._sweep_progress import sweep_progress_bar
    from softlogit.experiment._sweep_run import run_sweep
    from softlogit.experiment._sweep_store import ROWS_FILE

    if params["scheduler"] is not None and params["workers"] is not None:
        raise CLIError(
            "give `--workers` (a new Dask cluster) or `--scheduler`, not both."
        )
    with sweep_progress_bar(enabled=not quiet, seeds=len(grid.seeds)) as update:
        try:
            return run_sweep(
                grid,
                out / ROWS_FILE,
                resume=bool(params["resume"]),
                processes=params["processes"],
                workers=params["workers"],
                scheduler=params["scheduler"],
                progress=update,
            )
        except SoftlogitError as exc:
            raise CLIError(to_cli_names(str(exc))) from None


def _command(grid: Any) -> str:
    """A command line that runs ``grid`` again."""
    from softlogit._cli._names import flag
    from softlogit.experiment import ExperimentSpec
    from softlogit.experiment._atlas import format_value

    words = ["softlogit", "sweep"]
    for name, values in grid.axes:
        text = ",".join("full" if v is None else format_value(name, v) for v in values)
        words += ["--grid", f"{name}={text}"]
    words += ["--seeds", str(len(grid.seeds))]
    default = ExperimentSpec().options()
    for name, value in grid.base.options().items():
        if value != default[name] and name not in dict(grid.axes):
            if isinstance(value, tuple):
                value = ",".join(map(str, value)) or "none"
            words += [flag(name), str(value)]
    return shlex.join(words)


def _keys(grid: Any) -> list[str]:
    from softlogit.experiment._sweep_grid import row_key

    return [row_key(s) for s in grid.specs()]
