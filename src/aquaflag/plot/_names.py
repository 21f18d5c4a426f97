"""File names for figures: safe on every file system, limited in bytes, unique, readable.

No matplotlib here: :func:`safe_filename` and :func:`figure_stems` are usable
without it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any, Iterable

__all__ = ["safe_filename", "figure_stems", "MAX_NAME_BYTES"]

#: Default limit of a file-name stem in UTF-8 bytes. Most file systems allow 255
#: bytes per name (ext4, APFS, NTFS counts 255 UTF-16 units); the stem leaves
#: room for a collision suffix ("_12"), "__methods" and ".png".
MAX_NAME_BYTES = 160

_UNSAFE = re.compile(r"[^\w.\-]+")  # \w keeps letters of any script (Hangul included)
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}
_HASH_CHARS = 6


def _cut_utf8(text: str, limit: int) -> str:
    """The longest prefix of ``text`` whose UTF-8 encoding fits in ``limit`` bytes."""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[:limit].decode("utf-8", errors="ignore")


def safe_filename(name: Any, *, max_bytes: int = MAX_NAME_BYTES) -> str:
    """A file-name-safe version of a column name; letters of any script are kept.

    Spaces, parentheses and characters such as ``/\\:*?"<>|`` become ``_``
    (runs collapsed, none at the ends); the text is NFC-normalised so Hangul
    stays composed; Windows device names are prefixed with ``_``. A name
    longer than ``max_bytes`` in UTF-8 (a Hangul syllable takes 3 bytes) is
    cut on a character boundary and ends with ``~`` and six hexadecimal digits
    of a hash of the whole name, so two long names that differ only near
    their ends still get different file names.

    Parameters
    ----------
    name : object
        The column name (converted with ``str``).
    max_bytes : int, default 160
        Longest result in UTF-8 bytes (at least 16).

    Returns
    -------
    str
        A non-empty name without a suffix.

    Examples
    --------
    >>> safe_filename("Water Temperature(Mun-Ui)")
    'Water_Temperature_Mun-Ui'
    >>> safe_filename("수온(문의)")
    '수온_문의'
    >>> safe_filename("a/b: c?")
    'a_b_c'
    >>> long = safe_filename("수온" * 100, max_bytes=40)
    >>> long, len(long.encode())
    ('수온수온수온수온수온수~187acc', 40)
    """
    if max_bytes < 16:
        raise ValueError(f"max_bytes must be >= 16; got {max_bytes}")
    full = unicodedata.normalize("NFC", str(name))
    text = _UNSAFE.sub("_", full)
    text = re.sub(r"_+", "_", text).strip("._ ")
    if len(text.encode("utf-8")) > max_bytes:
        digest = hashlib.sha1(full.encode("utf-8")).hexdigest()[:_HASH_CHARS]
        text = _cut_utf8(text, max_bytes - _HASH_CHARS - 1).rstrip("._ ") + "~" + digest
    if not text:
        text = "column"
    if text.split(".")[0].upper() in _RESERVED:
        text = "_" + text
    return text


def figure_stems(columns: Iterable[Any], grids: Iterable[bool], *,
                 max_bytes: int = MAX_NAME_BYTES) -> list[tuple[str, str | None]]:
    """(column figure stem, rule-grid stem or None) per column; unique, also case-insensitively.

    Names that would collide — also case-insensitively, as on Windows and
    macOS file systems — get a suffix ``_2``, ``_3``, ... Every column's own
    name is claimed first, so a column literally named ``x__methods`` keeps
    its name and the grid of column ``x`` yields.
    """
    taken: set[str] = set()

    def claim(stem: str) -> str:
        candidate, k = stem, 1
        while candidate.casefold() in taken:
            k += 1
            candidate = f"{stem}_{k}"
        taken.add(candidate.casefold())
        return candidate

    cols = list(columns)
    stems = [claim(safe_filename(c, max_bytes=max_bytes)) for c in cols]
    return [(stem, claim(stem + "__methods") if grid else None)
            for stem, grid in zip(stems, grids)]
