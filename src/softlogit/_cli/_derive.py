"""``softlogit derive``: print or write the machine-checked derivation."""

from __future__ import annotations

from pathlib import Path

import click

from softlogit.errors import CLIError, InputValueError

__all__ = ["derive"]

_FORMATS = ("text", "markdown", "latex", "html")


def _parse_classes(value: str) -> int:
    try:
        n_classes = int(value)
    except ValueError:
        raise CLIError(f"--classes must be an integer >= 2; got {value!r}.") from None
    if n_classes < 2:
        raise CLIError(f"--classes must be an integer >= 2; got {n_classes}.")
    return n_classes


@click.command(
    "derive",
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--classes",
    "classes",
    default="2",
    show_default=True,
    metavar="K",
    help="Number of classes K the K-class steps are written for (2 to 12).",
)
@click.option(
    "--format",
    "fmt",
    default="text",
    show_default=True,
    metavar="|".join(_FORMATS),
    help="Output format: Unicode text, Markdown, a LaTeX document or an HTML page.",
)
@click.option(
    "--out",
    "out",
    default=None,
    metavar="FILE",
    help="Write to FILE (atomically) instead of standard output.",
)
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@click.option(
    "--recheck",
    is_flag=True,
    help="Check every step again, even if the checks of these steps are cached "
    "(in $SOFTLOGIT_CACHE_DIR, else ~/.cache/softlogit).",
)
def derive(classes: str, fmt: str, out: str | None, force: bool, recheck: bool) -> int:
    """Print the derivation softmax -> sigmoid, every step checked by SymPy.

    The checks of each K are kept on disk, keyed by a fingerprint of the steps, the
    checking code and SymPy's version, so a second run is fast; --recheck checks
    again. Exits with status 1 if any step fails its check (the output still shows
    which).
    """
    n_classes = _parse_classes(classes)
    if fmt not in _FORMATS:
        raise CLIError(f"--format must be one of {', '.join(_FORMATS)}; got {fmt!r}.")
    if out is not None:
        # Fail before the (seconds-long) checks if the file cannot be written.
        target = Path(out)
        if target.exists() and not force:
            raise CLIError(
                f"`--out` {out!r} already exists; pass --force to overwrite it."
            )
        if not target.parent.exists():
            raise CLIError(
                f"`--out` {out!r}: directory {str(target.parent)!r} does not exist."
            )
    from softlogit._derivation import derivation

    try:
        result = derivation(n_classes)
    except InputValueError as exc:
        raise CLIError(str(exc).replace("`n_classes`", "--classes")) from None
    from softlogit._derivation._cache import checked

    checks, cached = checked(result, recheck=recheck)
    render = {
        "text": result.to_text,
        "markdown": result.to_markdown,
        "latex": result.to_latex,
        "html": result.to_html,
    }[fmt]
    document = render(checks)
    if out is None:
        click.echo(document, nl=False)
    else:
        from softlogit._io import atomic_write_text

        try:
            path = atomic_write_text(out, document, force=force, name="--out")
        except FileExistsError as exc:
            raise CLIError(str(exc)) from None
        click.echo(f"wrote {path}", err=True)
    if cached is not None:
        click.echo(
            f"checks read from the cache {cached} (--recheck: check again)", err=True
        )
    failed = [c.step_id for c in checks if not c.passed]
    if failed:
        click.echo(
            f"error: {len(failed)} step(s) failed their check: {', '.join(failed)}",
            err=True,
        )
        return 1
    return 0
