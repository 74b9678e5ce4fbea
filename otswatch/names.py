"""Names people write (`Kabar News`, `Türkiye Today`) and the keys the program keeps.

A source, watch or destination may be named in any way; its key (used in the database, URLs,
metrics, routes and the outbox) is the name itself when that is already a key, else a slug
derived from it, or the entry's own `id:`. Giving `id:` keeps the key when the display name
is edited later: renaming would otherwise start a new source history.
"""

from __future__ import annotations

import re
import unicodedata

SOURCE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
WATCH_KEY = re.compile(r"^[a-z0-9][a-z0-9_.+-]{0,63}$")
DESTINATION_KEY = SOURCE_KEY
# Letters that Unicode does not decompose into a base letter and a mark.
_LETTERS = str.maketrans(
    {"ı": "i", "ə": "e", "Ə": "e", "ß": "ss", "ø": "o", "Ø": "o", "æ": "ae", "đ": "d", "ł": "l"}
)


def slug(text: str) -> str:
    """Lower-case ASCII letters and digits joined by '-': `Türkiye Today` -> `turkiye-today`."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:64].rstrip("-")


def key_for(name: str, explicit: str | None, pattern: re.Pattern[str]) -> str:
    """The entry's key: its `id:`, else its name when that already is a key, else a slug.

    Raises ValueError with the fix when neither gives a usable key."""
    if explicit is not None:
        if not pattern.match(explicit):
            raise ValueError(
                f"id {explicit!r} is not a key: use letters, digits, '-', '_' or '.', "
                f"e.g. {slug(explicit) or 'my-source'!r}"
            )
        return explicit
    if pattern.match(name):
        return name
    derived = slug(name)
    if not derived or not pattern.match(derived):
        raise ValueError(
            f"cannot make a key from the name {name!r}: add an `id:` of Latin letters and "
            "digits (e.g. id: kabar-ru)"
        )
    return derived
