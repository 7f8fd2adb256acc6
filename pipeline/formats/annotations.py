"""Non-speech annotations that transcription tools and agencies write into the text.

Removed from every transcript mine reads from another tool, so they never become terms or stand
in a quote:

- anything in square brackets except mine's own redaction marks (``[inaudible]``,
  ``[crosstalk]``, ``[music]``, ``[00:12:03]``, ``[onverstaanbaar]``, ``[gelach]``);
- anything in curly braces (``{vocalsound}``, ``{disfmarker}``: meeting-corpus markup);
- tags in angle brackets (``<laughter>``, ``<inaudible>``, ``</v>``);
- words between asterisks, up to three (``*cough*``, ``*laughs*``);
- parentheses around a known annotation word or a time only (``(laughs)``, ``(lacht)``,
  ``(inaudible 00:12)``, ``(pause)``): other parentheses are speech ("(the blue one)");
- timestamps inline (``#00:01:23-4#`` of transcription software, a bare ``00:12:03``; a
  time of day such as ``10:30`` is speech and stays);
- hesitation marks: ``--``, ``—``, a spaced ``–``, ``…`` and ``...``.
"""

from __future__ import annotations

import re

#: Words of an annotation in parentheses (English and Dutch); a parenthesis holding only these
#: (and times) is removed.
ANNOTATION_WORDS = frozenset(
    """
    inaudible unintelligible indistinct crosstalk cross talk overlapping overlap laughs laugh
    laughing laughter laughs chuckles chuckle giggles sighs sigh coughs cough coughing clears
    throat pause pauses silence long short music applause noise background phone rings ringing
    typing static beep beeps interruption interrupted break breaks sneezes unclear unknown
    foreign language speaking in audio cuts out garbled muffled sound sounds video vocalsound
    disfmarker gap noise
    onverstaanbaar onverstaan onduidelijk door elkaar lacht lachen gelach lachend grinnikt
    zucht zuchten hoest hoesten kucht stilte pauze muziek applaus geluid achtergrondgeluid
    telefoon gaat over typen piep onderbreking onderbroken niest onbekend
    spreekt tegelijk tegelijkertijd
    """.split()
)
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
#: mine's redaction marks stay: they are what replaced personal data.
_MINE_MARK = re.compile(r"\[[A-Z_]{2,20}\]")
_SQUARE = re.compile(r"\[[^\[\]\n]{0,60}\]")
_CURLY = re.compile(r"\{[^{}\n]{0,60}\}")
_ANGLE = re.compile(r"</?[A-Za-z][\w .:-]{0,40}>")
_STARS = re.compile(r"\*{1,2}[^*\s][^*\n]{0,40}?\*{1,2}")
_PAREN = re.compile(r"\(\(?([^()\n]{1,60})\)?\)")
_HASHTIME = re.compile(rf"#{_TIME}(?:-\d+)?#")
#: A time of day said ("om 10:30") is speech; a bare hh:mm:ss in the text is a time code.
_BARETIME = re.compile(r"(?<![\w:.,])\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,3})?(?![\w:])")
_DASHES = re.compile(r"--+|—|(?<=\s)(?<!\d\s)–(?=\s)(?!\s\d)")  # "3 – 4" is a range
_ELLIPSIS = re.compile(r"…|\.{3,}")
_SPACE_BEFORE = re.compile(r"\s+([,.;:!?])")
_DOUBLE_PUNCT = re.compile(r"([,;:])(?:\s*[,;:])+")


def _square(m: re.Match[str]) -> str:
    return m.group(0) if _MINE_MARK.fullmatch(m.group(0)) else " "


def _stars(m: re.Match[str]) -> str:
    inner = m.group(0).strip("*")
    return " " if len(inner.split()) <= 3 else m.group(0)


def _paren(m: re.Match[str]) -> str:
    inner = re.sub(_TIME, " ", m.group(1).lower())
    words = re.findall(r"[^\W\d_]+", inner)
    if all(w in ANNOTATION_WORDS for w in words):
        return " "
    return m.group(0)


def strip_annotations(text: str) -> str:
    """``text`` without non-speech annotations and hesitation marks, whitespace normalised.

    Example:
        >>> strip_annotations("Nou [inaudible] dat is -- (lacht) duur…")
        'Nou dat is duur'
    """
    text = _HASHTIME.sub(" ", text)
    text = _SQUARE.sub(_square, text)
    text = _CURLY.sub(" ", text)
    text = _ANGLE.sub(" ", text)
    text = _STARS.sub(_stars, text)
    text = _PAREN.sub(_paren, text)
    text = _BARETIME.sub(" ", text)
    text = _DASHES.sub(" ", text)
    text = _ELLIPSIS.sub(" ", text)
    text = _SPACE_BEFORE.sub(r"\1", " ".join(text.split()))
    text = _DOUBLE_PUNCT.sub(r"\1", text)
    return text.strip(" ,;:-").strip()
