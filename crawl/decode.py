"""Response bodies into bytes and text: content codings (gzip, deflate) undone in bounded
steps, however far they would inflate, and a page's character encoding as browsers read it."""

from __future__ import annotations

import codecs
import re
import zlib
from collections.abc import Iterable, Iterator

#: Content encodings mine decodes itself, each inflated in bounded steps; anything else (br,
#: zstd, compress, more than MAX_ENCODINGS stacked) is refused: it could not be bounded.
DECODERS = ("gzip", "x-gzip", "deflate")
MAX_ENCODINGS = 2
ACCEPT_ENCODING = "gzip, deflate"
CHUNK = 1 << 16  # bytes of compressed input per inflate step
_PIECE = 1 << 18  # bytes of inflated output per step: what a sitemap holds in memory at once
# Encodings a web page may declare, as browsers know them (the WHATWG list, in Python's names):
# anything else (idna, punycode, base64, rot13, undefined, ...) is read as UTF-8.
_PAGE_ENCODINGS = re.compile(
    r"utf-8|utf-8-sig|utf-16(-[lb]e)?|ascii|latin-1|iso8859-\d+|cp\d+|mac-[a-z0-9]+|koi8-[ru]"
    r"|kz1048|ptcp154|tis-620|gbk|gb2312|gb18030|big5|big5hkscs|euc_jp|euc_kr|shift_jis"
    r"|iso2022_jp|iso2022_kr"
)


def decode_html(body: bytes, content_type: str) -> str:
    """Decode a page: the HTTP charset, else a <meta charset> in its head, else UTF-8.

    Only encodings browsers know are used; any other label (idna, base64, an unknown name)
    reads as UTF-8, undecodable bytes replaced.
    """
    m = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    if not m:
        m = re.search(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", body[:4096], re.IGNORECASE)
    label = (m.group(1).decode() if isinstance(m.group(1), bytes) else m.group(1)) if m else ""
    try:
        name = codecs.lookup(label).name if label else "utf-8"
    except LookupError:
        name = "utf-8"
    if not _PAGE_ENCODINGS.fullmatch(name):
        name = "utf-8"
    try:
        return body.decode(name, "replace")
    except (LookupError, UnicodeError, ValueError):
        return body.decode("utf-8", "replace")


def content_codings(header: str) -> list[str]:
    """The content codings of a Content-Encoding header, in the order they were applied.

    Raises:
        ValueError: one mine does not decode within bounds (br, zstd, compress, ...), or more
            than MAX_ENCODINGS stacked.
    """
    names = [n.strip().lower() for n in header.split(",")]
    names = [n for n in names if n and n != "identity"]
    if len(names) > MAX_ENCODINGS:
        raise ValueError(
            f"{len(names)} stacked content encodings, more than {MAX_ENCODINGS} "
            f"({header.strip()[:60]})"
        )
    for name in names:
        if name not in DECODERS:
            raise ValueError(f"content encoding {name[:40]!r} not supported")
    return names


def decode(chunks: Iterable[bytes], encodings: list[str]) -> Iterator[bytes]:
    """The body with its content codings undone, last applied first, each in bounded steps
    (at most _PIECE bytes out per step, however far it would inflate)."""
    stream: Iterable[bytes] = chunks
    for name in reversed(encodings):
        stream = gunzip(stream, empty_ok=True) if name != "deflate" else inflate(stream)
    yield from stream


class BadGzip(Exception):
    """Compressed data that does not inflate (damaged, cut short or empty)."""


def gunzip(chunks: Iterable[bytes], *, empty_ok: bool = False) -> Iterator[bytes]:
    """Inflate gzip data as a stream, in pieces of at most _PIECE bytes, however far it would
    inflate: the caller decides when it has had enough. Several members are read as one
    stream (as gzip does); bytes after the last member are ignored. No data at all is an
    error unless ``empty_ok``."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    started = members = 0
    for chunk in chunks:
        for i in range(0, len(chunk), CHUNK):
            data = chunk[i : i + CHUNK]
            while data:
                if not started and members and not b"\x1f\x8b".startswith(data[:2]):
                    return  # trailing bytes after a complete member
                try:
                    piece = inflater.decompress(data, _PIECE)
                except zlib.error as exc:
                    raise BadGzip(str(exc)) from None
                started = 1
                if piece:
                    yield piece
                if inflater.eof:
                    data = inflater.unused_data
                    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    started, members = 0, members + 1
                else:
                    data = inflater.unconsumed_tail
    if started:
        yield from _finish(inflater)
    elif not members and not empty_ok:
        raise BadGzip("no data")


def inflate(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Content-Encoding: deflate as a stream, in pieces of at most _PIECE bytes: zlib data
    (RFC 1950) as the standard says, or raw deflate as some servers send it."""
    inflater = None
    head = b""
    for chunk in chunks:
        if inflater is None:
            head += chunk
            if len(head) < 2:
                continue
            zlib_header = (head[0] & 0x0F) == 8 and ((head[0] << 8) | head[1]) % 31 == 0
            inflater = zlib.decompressobj(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)
            chunk, head = head, b""
        for i in range(0, len(chunk), CHUNK):
            data = chunk[i : i + CHUNK]
            while data and not inflater.eof:
                try:
                    piece = inflater.decompress(data, _PIECE)
                except zlib.error as exc:
                    raise BadGzip(str(exc)) from None
                if piece:
                    yield piece
                data = inflater.unconsumed_tail
            if inflater.eof:
                return  # bytes after the end of the stream are ignored
    if inflater is None:
        if head:
            raise BadGzip("the data ends early")
        return
    yield from _finish(inflater)


def _finish(inflater: zlib._Decompress) -> Iterator[bytes]:
    """The last bytes of a stream; the stream must have ended (else it was cut short)."""
    try:
        rest = inflater.flush()
    except zlib.error as exc:
        raise BadGzip(str(exc)) from None
    if rest:
        yield rest
    if not inflater.eof:
        raise BadGzip("the data ends early")
