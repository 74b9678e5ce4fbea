"""Phrases and acronyms of a watch-list compiled to regexes over folded text.

Why regexes and not plain substrings: inflected forms must match (Teşkilatı'nın, Организации,
tashkilotiga) while longer unrelated words must not. Each pattern also carries an anchor literal
for the classifier's Aho-Corasick prefilter.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from alerts.matching.textnorm import fold_pattern

# Languages whose words take endings in place of the dictionary ending (Russian-style): the
# ending is cut off and any short ending accepted instead.
_DECLINING = {"ru", "uk", "be", "bg", "sr", "pl", "cs", "sk"}
_ENDING_TEXT = (
    "ами ями ого его ому ему ыми ими ых их ой ей ий ый ая яя ое ее ые ие ую юю ам ям ах ях "
    "ов ев ом ем ії ій ів а я о е ы и у ю ь й і"
)
_ENDINGS = sorted(_ENDING_TEXT.split(), key=len, reverse=True)
# Latin-script declining languages (Polish, Czech, Slovak): Organizacja/Organizacji, Tureckich.
_LATIN_ENDING_TEXT = "ami ach ych ich ego emu ymi imi ów om ie ej ą ę a i y e u o"
_LATIN_ENDINGS = sorted(_LATIN_ENDING_TEXT.split(), key=len, reverse=True)
# Agglutinative languages glue suffixes on; others inflect little.
_AGGLUTINATIVE = {"tr", "az", "kk", "uz", "ky", "tk", "hu", "tt", "ba", "ug", "crh", "any"}
_SCRIPTLESS = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")  # no spaces between words
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_WORDS = re.compile(r"[^\W_]+")
_GAP = r"[^\w.,;:!?()\[\]]{1,4}"  # between words of a phrase: spaces, quotes, apostrophes
_DOTTED = re.compile(r"(?:[A-Z]\.){2,}")  # an acronym written with dots: O.T.S., O.E.T.
# Word boundaries: a letter or digit of the same kind of script may not touch the match, but a
# Chinese, Japanese or Korean character may ("TURKPA成员国" has TURKPA as a word).
_CJK = "\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af"
_LEFT = rf"(?<![^\W_{_CJK}])"
_RIGHT = rf"(?![^\W_{_CJK}])"


class LazyRegex:
    """A phrase's regex, compiled when first used: a class with the CJK ranges costs re 1.5 to
    3 ms to compile (it walks all 40,000 code points), and compiling the watch list's 400-odd
    patterns at load was the largest part of starting `otswatch run --once`, while a poll's
    few hundred items reach (past the Aho-Corasick prefilter) only some of them. The
    expressions are built from escaped words, so compiling cannot fail on a user's phrase."""

    __slots__ = ("_compiled", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self.pattern)
        return self._compiled

    def search(self, text: str, pos: int = 0) -> re.Match[str] | None:
        return self.compiled.search(text, pos)

    def finditer(self, text: str, pos: int = 0) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(text, pos)


@functools.cache
def _compile(regex: str) -> LazyRegex:
    """One LazyRegex per expression: loading a config builds every phrase twice (checked, then
    built), and phrases of several rules share expressions."""
    return LazyRegex(regex)


def _stem(word: str, lang: str) -> str:
    if lang == "en" and len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        return word[
            :-1
        ]  # States/State: feeds drop or add the plural ("Organisation of Turkic State")
    if lang == "de":  # adjective endings: Türkischer/Türkischen/Türkische Rat
        return re.sub(r"(isch|ig|lich)(e|er|en|em|es)$", r"\1", word, flags=re.IGNORECASE)
    if lang in _DECLINING and len(word) > 4:
        for end in _ENDINGS if re.search("[а-яёіїєґ]", word.lower()) else _LATIN_ENDINGS:
            if word.lower().endswith(end) and len(word) - len(end) >= 4:
                return word[: -len(end)]
    return word


def _elision(word: str) -> str:
    """d'investissement -> d investissement: an elided article (French, Italian) is a word of its
    own, written with an apostrophe the text keeps; other apostrophes (TDT'nin) are dropped, as
    the documents' Uzbek oʻ/gʻ signs are."""
    head, sep, _ = word.partition("'")
    if sep and (len(head) <= 2 or head == "qu"):
        return word.replace("'", " ", 1).replace("'", "")
    return word.replace("'", "")


@dataclass(frozen=True, eq=False)  # identity hash: patterns live in sets on the hot path
class Pattern:
    """One phrase or acronym compiled to a regex over folded text, with an anchor for the
    Aho-Corasick prefilter (a literal every match contains)."""

    rule: str
    lang: str
    source: str
    regex: LazyRegex
    anchor: str
    acronym: bool = False
    # The phrase cut off by an ellipsis at the very end of a field ("Organization of Turkic...")
    cut: LazyRegex | None = None
    # The other literals every match contains besides the anchor (its other words): the
    # prefilter checks them before the regex runs
    others: tuple[str, ...] = ()


def compile_phrase(
    rule: str, lang: str, phrase: str, acronym: bool = False, cut_stems: tuple[str, ...] = ()
) -> Pattern:
    """Compile a phrase so that inflected forms match but longer unrelated words do not.

    With `cut_stems`, the phrase also matches when a truncated title or summary ends inside
    it, provided the kept part has two words or more and one starts with one of the stems.
    Each phrase is built once per process: a config load checks every phrase while
    validating, then compiles it again for its rule (and several rules share spellings)."""
    return replace(_built(lang, phrase, acronym, cut_stems), rule=rule)


@functools.lru_cache(maxsize=8192)
def _built(lang: str, phrase: str, acronym: bool, cut_stems: tuple[str, ...]) -> Pattern:
    rule = ""  # set by compile_phrase on its own copy
    words = [w for w in phrase.split() if w]
    stems = [_WORDS.findall(_elision(fold_pattern(_stem(w, lang)))) for w in words]
    parts = [p for ps in stems for p in ps]
    if not parts:
        raise ValueError(f"phrase {phrase!r} has no letters or digits")
    if _SCRIPTLESS.search(phrase):
        anchor = max(parts, key=len)
        rx = re.escape("".join(parts))
        return Pattern(rule, lang, phrase, _compile(rx), anchor, others=_others(parts, anchor))
    if acronym:
        body = _GAP.join(re.escape(p) for p in parts)
        anchor = max(parts, key=len)
        if _DOTTED.fullmatch(phrase):  # O.T.S. with or without its last dot
            body, anchor = r"\.".join(parts) + r"\.?", ".".join(parts)
        # a suffix glued on is letters of a script with words (OTS峰会: 峰会 is a word of its own)
        rx = f"{_LEFT}({body})('?[^\\W\\d_{_CJK}]{{1,7}})?{_RIGHT}"
        return Pattern(rule, lang, phrase, _compile(rx), anchor, True, None, _others(parts, anchor))
    agglutinative = lang in _AGGLUTINATIVE
    declining = lang in _DECLINING
    pieces = []
    for i, p in enumerate(parts):
        last = i == len(parts) - 1
        if declining:
            n = 4
        elif agglutinative:
            n = 12 if last else 2
        else:
            n = 2
        # Arabic ة (folded to ه) makes another word: الدولة "the state" (Türkiye) is not الدول
        singular = "(?!\u0647)" if _ARABIC.search(p) and not p.endswith("\u0647") else ""
        pieces.append(f"{re.escape(p)}{singular}(?:'?[^\\W\\d_]{{0,{n}}})")
    left, anchor = _LEFT, max(parts, key=len)
    literals = list(parts)  # what every match holds as written
    if _ARABIC.search(phrase):
        left, pieces[0], anchor = _arabic_start(parts[0], pieces[0], anchor)
        if not pieces[0].startswith(re.escape(parts[0])):  # al- or li+al-: the alef varies
            literals[0] = parts[0][1:]
    rx = f"{left}({_GAP.join(pieces)}){_RIGHT}"
    cut = _cut_regex(pieces, parts, cut_stems) if cut_stems else None
    return Pattern(
        rule, lang, phrase, _compile(rx), anchor, cut=cut, others=_others(literals, anchor)
    )


def _arabic_start(first: str, piece: str, anchor: str) -> tuple[str, str, str]:
    """Arabic glues conjunctions, prepositions and the article on (ومنظمة, لمنظمة, بالمنظمة),
    and li + al- contracts: الدول -> للدول. A phrase written with al- matches all of them; its
    anchor literal drops the alef (لدول sits in both الدول and للدول)."""
    left = r"(?<![^\W_])(?:[وف]?[بلك]?|ال)"
    if not first.startswith("ال"):
        return left, piece, anchor
    piece = "(?:ال|لل)" + piece[len(re.escape("ال")) :]
    return r"(?<![^\W_])[وف]?[بك]?", piece, anchor[1:] if anchor == first else anchor


def _others(literals: list[str], anchor: str) -> tuple[str, ...]:
    """The literals of every match but the anchor, longest first, each once (one inside the
    anchor is found with it)."""
    rest = sorted({p for p in literals if p != anchor}, key=len, reverse=True)
    return tuple(p for p in rest if p not in anchor)


_ELLIPSIS_END = r"[^\w.]{0,3}\.{2,}[^\w]{0,3}$"  # "Turkic...", "Turkic …", "Turkic [...]"


def _cut_regex(pieces: list[str], parts: list[str], stems: tuple[str, ...]) -> LazyRegex | None:
    """A regex for the phrase cut off after its first k words (k >= 2, fewer than all) where a
    kept word after the first starts with one of `stems`: "Organization of Turkic...",
    "Организации тюркских...". A cut that keeps only "Turkic states" (Türk devletleri...,
    the head noun of Turkic-language names comes last) is too common a phrase to count.
    The next word of the phrase may be started before the ellipsis ("...of Turkic St...")."""
    alternatives = []
    for k in range(len(parts) - 1, 1, -1):
        if not any(p.startswith(st) for p in parts[1:k] for st in stems):
            continue
        started = "".join(f"(?:{re.escape(c)}" for c in parts[k]) + ")?" * len(parts[k])
        alternatives.append(_GAP.join(pieces[:k]) + f"(?:{_GAP}{started})?")
    if not alternatives:
        return None
    return _compile(f"{_LEFT}({'|'.join(alternatives)}){_ELLIPSIS_END}")
