"""The command line's names for the experiment spec's options.

Every option of :data:`softlogit.experiment.OPTIONS` is a flag of ``softlogit
compare``: ``lr`` -> ``--lr``, ``batch_size`` -> ``--batch-size`` (``pairs`` is
spelled ``--pair``). Messages of the library name options in backticks (```lr```);
the command line shows them as flags.
"""

from __future__ import annotations

import re

from softlogit.experiment._spec import OPTIONS

__all__ = ["flag", "to_cli_names"]

# options that get a shorter or more familiar command-line spelling
_ALIASES: dict[str, str] = {"pairs": "--pair"}


def flag(name: str) -> str:
    """The flag of spec option ``name``.

    Examples
    --------
    >>> flag("batch_size"), flag("pairs")
    ('--batch-size', '--pair')
    """
    return _ALIASES.get(name, "--" + name.replace("_", "-"))


def to_cli_names(message: str) -> str:
    """Rewrite backticked option names of the spec (`lr`) as flags (`--lr`).

    Examples
    --------
    >>> to_cli_names("`batch_size` must be an integer >= 1; got 0; `x` is kept.")
    '`--batch-size` must be an integer >= 1; got 0; `x` is kept.'
    """
    names = {o.name for o in OPTIONS}

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"`{flag(name)}`" if name in names else match.group(0)

    return re.sub(r"`([a-z_0-9]+)`", sub, message)
