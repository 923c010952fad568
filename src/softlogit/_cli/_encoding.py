"""Output on streams that are not UTF-8: every character written, in ASCII if need be.

softlogit's output uses Unicode (dashes, ``²``, ``✓``, Greek letters, SymPy's
two-dimensional formulas, rich's box drawing). On a stream that cannot encode them
(``PYTHONIOENCODING=cp1252``, an ASCII-only pipe, a legacy Windows console) the
command line replaces each character the stream cannot encode by an ASCII spelling
(:func:`ascii_spelling`: ``—`` -> ``-``, ``σ`` -> ``sigma``, ``₁`` -> ``1``, box
corners -> ``+``), instead of dying with a ``UnicodeEncodeError``. rich already draws
ASCII boxes on such streams; this module covers the rest.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import sys
import unicodedata
from collections.abc import Iterator
from typing import TextIO

__all__ = ["ERRORS", "ascii_spelling", "ascii_streams", "needs_fallback"]

#: The codec error handler that spells unencodable characters in ASCII.
ERRORS = "softlogit-ascii"

# characters whose decomposition is not ASCII, and their spelling
_SPELLING: dict[str, str] = {
    "—": "-",
    "–": "-",
    "−": "-",
    "‐": "-",
    "✓": "+",
    "✗": "x",
    "×": "x",
    "·": ".",
    "⋅": "*",
    "…": "...",
    "≈": "~",
    "≤": "<=",
    "≥": ">=",
    "≠": "!=",
    "≡": "==",
    "→": "->",
    "←": "<-",
    "⇒": "=>",
    "⟹": "=>",
    "↦": "|->",
    "↪": "->",
    "≔": ":=",
    "′": "'",
    "‾": "-",
    "λ": "lambda",
    "Λ": "Lambda",
    "∑": "sum",
    "∏": "prod",
    "√": "sqrt",
    "∞": "inf",
    "∂": "d",
    "∇": "grad",
    "∈": "in",
    "∀": "for all",
    "‖": "||",
    "⊤": "T",
    "°": "deg",
    "±": "+-",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "╲": "\\",
    "╱": "/",
    "⎯": "-",
    "─": "-",
    "━": "-",
    "═": "=",
    "│": "|",
    "┃": "|",
    "║": "|",
    "⎜": "|",
    "⎟": "|",
    "⎢": "|",
    "⎥": "|",
    "⎪": "|",
    "⎛": "/",
    "⎝": "\\",
    "⎞": "\\",
    "⎠": "/",
    "⎡": "[",
    "⎣": "[",
    "⎤": "]",
    "⎦": "]",
    "⎧": "/",
    "⎩": "\\",
    "⎨": "{",
    "⎫": "\\",
    "⎭": "/",
    "⎬": "}",
}
_PROBE = "—✓²σ∑┃⎛"


def ascii_spelling(char: str) -> str:
    """An ASCII spelling of one character.

    Examples
    --------
    >>> [ascii_spelling(c) for c in "—σΣ₁²✓┏é"]
    ['-', 'sigma', 'Sigma', '1', '2', '+', '+', 'e']
    """
    if char in _SPELLING:
        return _SPELLING[char]
    plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
    if plain:
        return plain
    name = unicodedata.name(char, "")
    if name.startswith("BOX DRAWINGS"):
        return "+"
    if name.startswith("GREEK") and " LETTER " in name:
        word = name.rsplit(" ", 1)[-1].lower()
        return word.capitalize() if "CAPITAL" in name else word
    return "?"


def _spell(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start : error.end]
    return "".join(ascii_spelling(c) for c in text), error.end


codecs.register_error(ERRORS, _spell)


def needs_fallback(stream: object) -> bool:
    """Whether ``stream`` is a text stream whose encoding lacks softlogit's characters."""
    encoding = getattr(stream, "encoding", None)
    if not isinstance(encoding, str):
        return False
    try:
        _PROBE.encode(encoding)
    except UnicodeEncodeError:
        return True
    except LookupError:
        return False
    return False


class _Spelled(io.TextIOBase):
    """A text stream that writes through ``stream``, spelling in ASCII what it
    cannot encode. It has no ``buffer``, so click writes text to it."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(self._stream.encoding)

    @property
    def errors(self) -> str:  # type: ignore[override]
        return ERRORS

    def write(self, text: str) -> int:
        enc = self.encoding
        self._stream.write(text.encode(enc, ERRORS).decode(enc))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return bool(self._stream.isatty())

    def fileno(self) -> int:
        return self._stream.fileno()

    def writable(self) -> bool:
        return True


@contextlib.contextmanager
def ascii_streams() -> Iterator[None]:
    """Within the block, standard output and error spell what they cannot encode.

    Streams that encode everything (UTF-8, the test suite's captures) are left
    alone.
    """
    saved = sys.stdout, sys.stderr
    if needs_fallback(sys.stdout):
        sys.stdout = _Spelled(sys.stdout)
    if needs_fallback(sys.stderr):
        sys.stderr = _Spelled(sys.stderr)
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        sys.stdout, sys.stderr = saved
