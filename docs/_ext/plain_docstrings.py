"""Read the package's plain-text habits in docstrings as the text they mean.

softlogit's docstrings are written for ``help()`` as much as for this site, and two
plain-text habits there are markup in reStructuredText: ``|x|`` (an absolute value)
is a substitution reference, and a fitted attribute such as ``n_features_in_`` is a
hyperlink reference. After numpydoc has turned a docstring into reStructuredText,
this extension escapes both outside literals, roles and math blocks, so the page
shows what ``help()`` shows.
"""

from __future__ import annotations

import re
from typing import Any

# Literals, roles (:math:`...`, :class:`...`), interpreted text and strong/emphasis:
# left exactly as written.
_PROTECTED = re.compile(r"(``.+?``|:[\w:+-]+:`[^`]*`|`[^`]*`_{0,2}|\*\*.+?\*\*)")
_ABS = re.compile(r"(?<![\\|])\|(?=[^\s|])([^|`]*?[^\s|\\])\|(?!\|)")
_TRAILING_UNDERSCORE = re.compile(r"(?<![\w\\])([A-Za-z]\w*[A-Za-z0-9])_(?=[\s,.;:)\]]|$)")


def _escape(text: str) -> str:
    parts = _PROTECTED.split(text)
    for i in range(0, len(parts), 2):  # the unprotected stretches
        part = _ABS.sub(r"\\|\1\\|", parts[i])
        parts[i] = _TRAILING_UNDERSCORE.sub(r"\1\\_", part)
    return "".join(parts)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def escape_plain_text(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """``autodoc-process-docstring`` handler (runs after numpydoc's)."""
    block_indent: int | None = None  # inside a directive's body (math, code)
    for i, line in enumerate(lines):
        if block_indent is not None:
            if not line.strip() or _indent(line) > block_indent:
                continue
            block_indent = None
        stripped = line.strip()
        if stripped.startswith(".. ") and "::" in stripped:
            # directive: its argument and body are not prose (math, code, ...)
            block_indent = _indent(line)
            continue
        if stripped.startswith(">>>") or stripped.startswith("..."):
            continue
        lines[i] = _escape(line)


def setup(app: Any) -> dict[str, Any]:
    app.setup_extension("numpydoc")
    app.connect("autodoc-process-docstring", escape_plain_text, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
