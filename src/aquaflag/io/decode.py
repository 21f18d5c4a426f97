"""Bytes -> text: the encoding of a delimited file, its delimiter and its header line.

Policy
------
* A byte-order mark decides: UTF-32 (checked first: its little-endian mark
  starts with UTF-16's), UTF-16, UTF-8.
* Without one: strict UTF-8; then UTF-8 whose only fault is an incomplete last
  character (a file cut off mid-character: the broken bytes are dropped, with a
  note); then CP949 (Korean, a superset of EUC-KR). A UTF-8 mark in front of
  CP949 text (two tools' output pasted together) is dropped, with a note.
* UTF-16/UTF-32 without a mark are recognised by their zero bytes, with a note.
* Never a silent fallback to latin-1: a file that decodes as none of these is an
  :class:`~aquaflag.errors.InputError` asking for ``encoding=...``.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field

from ..errors import InputError

__all__ = ["Decoded", "decode", "sniff_delimiter", "header_fields"]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass
class Decoded:
    """A decoded text file.

    Attributes
    ----------
    text : str
        The text, without a byte-order mark.
    encoding : str
        The encoding to read the file with (``"utf-8-sig"`` with a UTF-8 mark).
    data : bytes or None
        Bytes to parse instead of the file on disk, when the file itself cannot
        be parsed as it is (a cut-off last character, a stray mark); else None.
    notes : list of str
        What was decided beyond the plain case.
    """

    text: str
    encoding: str
    data: bytes | None = None
    notes: list[str] = field(default_factory=list)


def decode(data: bytes, name: str, encoding: str | None = None) -> Decoded:
    """Decode a delimited file's bytes (see the module policy).

    Parameters
    ----------
    data : bytes
        The whole file.
    name : str
        The file, for messages.
    encoding : str, optional
        The encoding to use instead of guessing.

    Returns
    -------
    Decoded

    Raises
    ------
    aquaflag.errors.InputError
        The bytes do not decode (with the given encoding, or with any guessed).

    Examples
    --------
    >>> decode("수온\\n".encode("utf-32"), "f.csv").encoding
    'utf-32'
    >>> d = decode("수온,pH\\n1,2\\n3,".encode("utf-8") + "측".encode("utf-8")[:2], "f.csv")
    >>> d.text, d.notes[0][:48]
    ('수온,pH\\n1,2\\n3,', 'f.csv ends in an incomplete UTF-8 character (byt')
    """
    if encoding is not None:
        return _given(data, name, encoding)
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(enc), enc)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{name}: starts with a {enc.upper()} byte-order mark but is not valid "
                    f"{enc.upper()} (byte {exc.start}); pass encoding=... (CLI: --encoding)"
                ) from None
    bomless = _bomless_wide(data)
    if bomless is not None:
        try:
            text = data.decode(bomless)
        except UnicodeDecodeError:
            pass
        else:
            return Decoded(text, bomless, notes=[
                f"{name} has no byte-order mark; read as {bomless.upper()} (its zero bytes say so)"])
    has_bom = data.startswith(codecs.BOM_UTF8)
    try:
        text = data.decode("utf-8-sig")
        return Decoded(text, "utf-8-sig" if has_bom else "utf-8")
    except UnicodeDecodeError as exc:
        truncated = _cut_off(data, exc)
    if truncated is not None:
        fixed, dropped, where = truncated
        text = fixed.decode("utf-8-sig")
        line = text.count("\n", 0, len(text)) + 1 - (1 if text.endswith("\n") else 0)
        return Decoded(text, "utf-8-sig" if has_bom else "utf-8", data=fixed, notes=[
            f"{name} ends in an incomplete UTF-8 character (bytes {dropped} at byte {where}, "
            f"line {line}), probably cut off; it was dropped"])
    body = data[len(codecs.BOM_UTF8):] if has_bom else data
    try:
        text = body.decode("cp949")
    except UnicodeDecodeError:
        raise InputError(
            f"{name}: cannot decode as UTF-8 or CP949 (Korean); pass encoding=... (CLI: --encoding)"
        ) from None
    if "\x00" in text:
        raise InputError(
            f"{name}: holds zero bytes, so it is not UTF-8 or CP949 text (a binary file, or "
            "UTF-16/UTF-32 without a byte-order mark); pass encoding=... (CLI: --encoding)"
        )
    notes = []
    if has_bom:
        notes.append(f"{name} starts with a UTF-8 byte-order mark but the text is CP949 "
                     "(Korean); the mark was ignored")
    return Decoded(text, "cp949", data=body if has_bom else None, notes=notes)


def _given(data: bytes, name: str, encoding: str) -> Decoded:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{name}: cannot decode as {encoding} (byte {data[exc.start]:#04x} at "
            f"position {exc.start}, line {line}); pass another encoding=... (CLI: --encoding)"
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
        if codecs.lookup(encoding).name == "utf-8":
            encoding = "utf-8-sig"
    return Decoded(text, encoding)


def _cut_off(data: bytes, exc: UnicodeDecodeError) -> tuple[bytes, str, int] | None:
    """UTF-8 whose only fault is an incomplete last character: (fixed bytes, dropped, offset).

    The bad bytes must be a lead byte and fewer continuation bytes than it
    announces, followed by nothing but line ends or spaces.
    """
    start = exc.start
    tail = data[start:]
    lead = tail[0]
    need = 2 if 0xC2 <= lead <= 0xDF else 3 if 0xE0 <= lead <= 0xEF else 4 if 0xF0 <= lead <= 0xF4 else 0
    if not need:
        return None
    n_bad = 1
    while n_bad < len(tail) and n_bad < need and 0x80 <= tail[n_bad] <= 0xBF:
        n_bad += 1
    rest = tail[n_bad:]
    if n_bad >= need or rest.strip(b" \t\r\n") != b"":
        return None
    fixed = data[:start] + rest
    try:
        fixed.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    dropped = " ".join(f"0x{b:02x}" for b in tail[:n_bad])
    return fixed, dropped, start


def _bomless_wide(data: bytes) -> str | None:
    """UTF-16/32 without a byte-order mark, told by where the zero bytes are (ASCII-heavy text)."""
    head = data[:4096]
    if b"\x00" not in head or len(head) < 8:
        return None
    n = len(head) - len(head) % 4
    head = head[:n]
    zeros = [sum(1 for i in range(k, n, 4) if head[i] == 0) / (n // 4) for k in range(4)]
    if zeros[1] > 0.9 and zeros[2] > 0.9 and zeros[3] > 0.9:
        return "utf-32-le"
    if zeros[0] > 0.9 and zeros[1] > 0.9 and zeros[2] > 0.9:
        return "utf-32-be"
    if zeros[1] > 0.5 and zeros[3] > 0.5 and zeros[0] < 0.2 and zeros[2] < 0.2:
        return "utf-16-le"
    if zeros[0] > 0.5 and zeros[2] > 0.5 and zeros[1] < 0.2 and zeros[3] < 0.2:
        return "utf-16-be"
    return None


def sniff_delimiter(header: str) -> str:
    """Comma, unless the header line clearly uses tabs or semicolons (outside quotes).

    Examples
    --------
    >>> sniff_delimiter("date;pH;EC"), sniff_delimiter('date;"a, b";c'), sniff_delimiter("a\\tb")
    (';', ';', '\\t')
    """
    bare = re.sub(r'"[^"]*"', "", header)
    commas, tabs, semis = bare.count(","), bare.count("\t"), bare.count(";")
    if tabs > commas and tabs >= semis:
        return "\t"
    if semis > commas and semis > tabs:
        return ";"
    return ","


def header_fields(text: str, delimiter: str) -> list[str]:
    """The fields of the first record, as written (quotes removed).

    Examples
    --------
    >>> header_fields('date,"pH",pH, ,x\\n1,2,3,4,5\\n', ",")
    ['date', 'pH', 'pH', ' ', 'x']
    """
    reader = csv.reader(io.StringIO(text[:1_000_000]), delimiter=delimiter)
    try:
        return next(reader)
    except (StopIteration, csv.Error):
        return []
