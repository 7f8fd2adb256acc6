"""Decoding text files whatever tool wrote them: byte-order marks, UTF-16 without one, UTF-8,
cp1252 and charset_normalizer's guess; binary content is refused in one line."""

from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import Path

from pipeline.errors import InputError

_BOMS = (  # UTF-32 first: its little-endian mark begins with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_NOT_TEXT = {"Cc", "Cn", "Co", "Cs"}
_BINARY = "not a text file (binary content); pass a transcript as .json, .srt, .vtt, .txt or .docx"


#: Printable ASCII and the whitespace controls: never binary, so not looked up one by one.
_PLAIN = re.compile(r"[\x20-\x7e\t\n\r\f\v]+")


def _binary(text: str) -> bool:
    """True when more than 2 % of the characters are control codes, unassigned or undecodable."""
    sample = text[:200_000]
    rest = _PLAIN.sub("", sample)  # the other characters: accents, dashes, and any junk
    bad = sum(1 for c in rest if c == "\ufffd" or unicodedata.category(c) in _NOT_TEXT)
    return bad > 0.02 * len(sample)


def _utf16_without_bom(raw: bytes) -> str | None:
    """Text of UTF-16 without a byte-order mark: NULs in every other byte, in one half only."""
    if len(raw) < 4 or len(raw) % 2:
        return None
    even, odd = raw[0::2].count(0) / (len(raw) / 2), raw[1::2].count(0) / (len(raw) / 2)
    if odd > 0.3 and even < 0.02:  # "C\0u\0s\0": ASCII-range text, little-endian
        codec = "utf-16-le"
    elif even > 0.3 and odd < 0.02:
        codec = "utf-16-be"
    else:
        return None
    try:
        return raw.decode(codec)
    except UnicodeDecodeError:
        return None


def _western(text: str) -> bool:
    """True when accented letters are a minority, as in Dutch, English, French or German text."""
    letters = [c for c in text[:200_000] if c.isalpha()]
    return sum(not c.isascii() for c in letters) <= 0.3 * len(letters)


def decode_text(raw: bytes, path: Path) -> str:
    """Decode a text file whatever tool wrote it.

    A byte-order mark decides first (UTF-8, UTF-16, UTF-32), then UTF-16 without one, then
    UTF-8, then cp1252 (subtitle tools on Windows) when the text reads as a Western language,
    then charset_normalizer's best guess (cp1251, cp1250, Shift-JIS, ...).

    Raises:
        InputError: the bytes are not text (NUL bytes, control codes, nothing decodes).
    """
    text: str | None = None
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            try:
                text = raw.decode(codec)
            except UnicodeDecodeError:
                raise InputError(f"{path}: {_BINARY}") from None
            break
    else:
        if b"\0" in raw:
            text = _utf16_without_bom(raw)
            if text is None:
                raise InputError(f"{path}: {_BINARY}")
        else:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("cp1252", errors="replace")
                if not _western(text) or text.count("\ufffd") > 0.01 * len(text):
                    from charset_normalizer import from_bytes

                    best = from_bytes(raw).best()
                    text = str(best) if best is not None else None
    if text is None or _binary(text):
        raise InputError(f"{path}: {_BINARY}")
    return text.lstrip("\ufeff")
