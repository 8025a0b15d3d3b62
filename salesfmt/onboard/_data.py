"""The data `salesfmt init` works from: the header lexicon and the value synonyms, shipped
inside the package (``lexicon.yaml``, ``synonyms.yaml`` beside this module)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from salesfmt.rules.headers import normalize_header

__all__ = ["LANGS", "Lexicon", "lexicon", "synonyms", "value_key"]

#: Languages of the lexicon, in the order their aliases are tried.
LANGS = ("en", "nl", "de", "fr", "es")
_HERE = Path(__file__).resolve().parent


def _load(name: str) -> dict:
    return yaml.safe_load((_HERE / name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Lexicon:
    """Per canonical field: value kind and (language, alias) pairs; footer patterns."""

    kinds: dict[str, str]
    aliases: dict[str, list[tuple[str, str]]]
    footers: dict[str, str]

    def exact(self, field: str, header: str) -> tuple[str, str, int] | None:
        """(languages, alias, rank) of the first alias of ``field`` equal to ``header``
        (ignoring case, spaces, punctuation and accents), or None; languages joined by
        ", " when several list it."""
        key = normalize_header(header)
        hits = [(rank, lang, alias) for rank, (lang, alias)
                in enumerate(self.aliases.get(field, [])) if key and normalize_header(alias) == key]
        if not hits:
            return None
        langs = ", ".join(dict.fromkeys(lang for _, lang, _ in hits))
        return langs, hits[0][2], hits[0][0]


@cache
def lexicon() -> Lexicon:
    """The shipped header lexicon."""
    raw = _load("lexicon.yaml")
    kinds, aliases = {}, {}
    for name, entry in raw["fields"].items():
        kinds[name] = entry.get("kind", "any")
        aliases[name] = [(lang, str(a)) for lang in LANGS for a in entry.get(lang, [])]
    return Lexicon(kinds, aliases, dict(raw.get("footers", {})))


def value_key(value: str) -> str:
    """A value for synonym lookup: case, spaces, punctuation and accents ignored."""
    return normalize_header(value)


@cache
def synonyms() -> dict[str, dict[str, str]]:
    """Per value domain (payment_method, online, boolean, is_return, channel, ticket_type):
    normalised partner word → canonical value (text; ``"true"``/``"false"`` for booleans)."""
    out: dict[str, dict[str, str]] = {}
    for domain, table in _load("synonyms.yaml").items():
        flat: dict[str, str] = {}
        for canonical, words in table.items():
            for word in [canonical, *words]:
                flat.setdefault(value_key(str(word)), str(canonical))
        out[domain] = flat
    return out
