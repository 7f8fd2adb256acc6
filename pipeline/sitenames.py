"""The site's own names (company, brand, products): from its host, its titles and its logo.

A site says its own name on every page (the ``<title>`` suffix, the logo, the footer), and
that name is not jargon: customers say "jullie", not the brand. ``mine crawl`` records the
names it finds in crawl.json (``own_names``); ``mine gap`` adds those of ``[transcribe]
own_names`` in mine.toml and keeps them out of the jargon table ("your names").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from urllib.parse import unquote, urlsplit

#: Separators between a page's own title and the site's name ("Prijzen | Warmtewerk").
_TITLE_SEPARATOR = re.compile(r"\s+(?:[|\-\u2013\u2014\u00b7:•»/]|::)\s+")
#: A title part counts as the site's name when this share of titles (and two or more) has it.
TITLE_SHARE = 0.3
#: Legal forms dropped from a name ("Voorbeeld BV" is "Voorbeeld").
_LEGAL = re.compile(
    r"[\s,]+(?:b\.?v\.?|n\.?v\.?|v\.?o\.?f\.?|ltd\.?|inc\.?|gmbh|llc|plc|s\.?a\.?|ag)$", re.I
)
#: Host labels that are not a name: subdomains and the second level of country domains.
_NOT_NAME = {"www", "www2", "m", "web", "site", "co", "com", "org", "net", "ac", "gov", "edu"}
_LOGO_WORDS = re.compile(r"\b(?:logo|logotype|beeldmerk|home|homepage|startpagina)\b", re.I)
#: A name found on the site (not given in mine.toml) whose every word is at least this common
#: in one of the registered languages (wordfreq's Zipf scale) is an ordinary word, not a name:
#: the host of www.systeem.nl or a shared title part "Blog" would otherwise hide "systeemontwerp"
#: and "blog" from the jargon table. Such a company lists its name in ``[transcribe] own_names``.
GENERIC_ZIPF = 3.0


def page_path(url: str) -> str:
    """A page address's path, decoded, lower case, without a file ending ("/diensten/x");
    the address itself where it cannot be split ("http://[::1/")."""
    try:
        path = unquote(urlsplit(url).path).lower()
    except ValueError:
        path = url.lower()
    return re.sub(r"\.(html?|php|aspx?|md|markdown)$", "", path)


def fold(name: str) -> str:
    """A name as compared: lower case, letters and digits only ("Kroes-Control" -> kroescontrol)."""
    return re.sub(r"[\W_]+", "", _LEGAL.sub("", name.strip()).lower())


def clean(name: str) -> str:
    """A name as shown: spaces collapsed, a legal form dropped."""
    return _LEGAL.sub("", " ".join(name.split())).strip(" -|:,")


def from_host(url: str) -> str | None:
    """The name in a site's host ("https://www.kroescontrol.nl/" -> "kroescontrol")."""
    try:
        host = (urlsplit(url).hostname or "") if "://" in url else ""
    except ValueError:  # "http://[::1/": not an address with a host
        return None
    labels = [p for p in host.split(".")[:-1] if p and p not in _NOT_NAME]
    if not labels or labels[-1].isdigit():
        return None
    return labels[-1]


def title_parts(title: str) -> list[str]:
    """A title's parts between separators ("Prijzen | Blog | Warmtewerk" -> three parts)."""
    return [p for p in _TITLE_SEPARATOR.split(title) if p.strip()]


def from_titles(titles: Iterable[str]) -> list[str]:
    """Title parts that most pages share, first or last ("Over ons | Kroescontrol")."""
    titles = [t for t in titles if t]
    ends: Counter = Counter()
    for title in titles:
        parts = title_parts(title)
        if len(parts) >= 2:
            ends.update({clean(parts[0]), clean(parts[-1])})
    need = max(2, TITLE_SHARE * len(titles))
    return [name for name, n in ends.most_common() if n >= need and name]


def from_logo_alt(alt: str) -> str | None:
    """The name in a logo's alt text ("Kroescontrol logo" -> "Kroescontrol")."""
    name = clean(_LOGO_WORDS.sub(" ", alt))
    return name if 2 <= len(name) <= 60 else None


def generic(name: str) -> bool:
    """True when every word of ``name`` is a common word of some registered language."""
    from pipeline import languages

    words = re.findall(r"[^\W\d_]+", name.lower())
    return bool(words) and all(
        any(languages.zipf(w, code) >= GENERIC_ZIPF for code in languages.codes()) for w in words
    )


def collect(
    *,
    names: Iterable[str] = (),
    start: str = "",
    titles: Iterable[str] = (),
    logo_alts: Iterable[str] = (),
) -> list[str]:
    """The site's names: ``names`` as given, then those of its start URL, page titles and logo
    alt texts that are not ordinary words (``generic``), without repeats (by ``fold``)."""
    found: list[str] = []
    seen: set[str] = set()
    logo_counts = Counter(n for n in map(from_logo_alt, logo_alts) if n)
    given = [n for n in names if n]
    derived = [
        n
        for n in [
            from_host(start),
            *from_titles(titles),
            *(n for n, _ in logo_counts.most_common(3)),
        ]
        if n and not generic(n)
    ]
    for name in [*given, *derived]:
        if fold(name) and fold(name) not in seen:
            seen.add(fold(name))
            found.append(name)
    return found


def matcher(names: Iterable[str]) -> Callable[[str], bool]:
    """``is_own`` for many keys: ``names`` are folded once, and a key is looked up by its own
    substrings (of the long names' lengths), so the time per key does not grow with the number
    of names (crawl.json may list thousands)."""
    folded = {f for f in map(fold, names) if f}
    lengths = sorted({len(f) for f in folded if len(f) >= 5})

    def own(key: str) -> bool:
        k = fold(key.replace("+", ""))
        return k in folded or any(
            k[i : i + n] in folded for n in lengths if n < len(k) for i in range(len(k) - n + 1)
        )

    return own


def is_own(key: str, names: Iterable[str]) -> bool:
    """True when a term key is one of ``names`` or made from one ("kroescontrol+academy")."""
    return matcher(names)(key)
