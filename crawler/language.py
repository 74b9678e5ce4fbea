"""Offline language identification for news titles and summaries.

py3langid alone confuses the Turkic languages on short titles and has no idea of Kazakh in
Latin script, so the script decides the candidate languages, letter and word cues decide the
Turkic ones (ə is Azerbaijani, ұ Kazakh, ў Uzbek, oʻ/gʻ Uzbek Latin, ǵ ń ú Kazakh Latin...),
and py3langid ranks what is left. A declared language (from the source) is trusted when it
fits the script and no strong cue contradicts it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, repeat
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crawler.langbatch import BatchRanker


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# No `ky`: Kyrgyz is written in Cyrillic; a Latin text naming Kyrgyz people or places is
# about Kyrgyzstan, not in Kyrgyz (usually English).
_LATIN_LANGS = _words(
    "en fr de tr az uz tk kk hu es it pt nl pl cs sk ro sv da no fi et lv lt sl "
    "hr bs sq id ms vi tl ca eu gl ga cy is mt af sw"
)
_CYRILLIC_LANGS = _words("ru uk be bg mk sr kk ky uz tg mn tt ba az tk")
_ARABIC_LANGS = _words("ar fa ur ps ug ku")
_SINGLE = {
    "greek": "el",
    "georgian": "ka",
    "armenian": "hy",
    "hebrew": "he",
    "thai": "th",
    "hangul": "ko",
    "kana": "ja",
    "han": "zh",
    "devanagari": "hi",
}
_ALIASES = {
    "kz": "kk",
    "kg": "ky",
    "ua": "uk",
    "tm": "tk",
    "cn": "zh",
    "jp": "ja",
    "ge": "ka",
    "iw": "he",
    "gr": "el",
    "se": "sv",
    "dk": "da",
    "by": "be",
    "uzb": "uz",
    "kaz": "kk",
    "kir": "ky",
    "tur": "tr",
    "aze": "az",
    "rus": "ru",
    "eng": "en",
    "hun": "hu",
    "fra": "fr",
    "fre": "fr",
    "deu": "de",
    "ger": "de",
    "tuk": "tk",
    "ukr": "uk",
}

_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0041, 0x024F, "latin"),
    (0x0250, 0x02AF, "latin"),
    (0x1E00, 0x1EFF, "latin"),
    (0x0370, 0x03FF, "greek"),
    (0x0400, 0x052F, "cyrillic"),
    (0x0530, 0x058F, "armenian"),
    (0x0590, 0x05FF, "hebrew"),
    (0x0600, 0x06FF, "arabic"),
    (0x0750, 0x077F, "arabic"),
    (0x0900, 0x097F, "devanagari"),
    (0x0E00, 0x0E7F, "thai"),
    (0x10A0, 0x10FF, "georgian"),
    (0x1100, 0x11FF, "hangul"),
    (0x3040, 0x30FF, "kana"),
    (0x3400, 0x4DBF, "han"),
    (0x4E00, 0x9FFF, "han"),
    (0xAC00, 0xD7AF, "hangul"),
    (0xFB50, 0xFDFF, "arabic"),
    (0xFE70, 0xFEFF, "arabic"),
)

_WORD = re.compile(r"[^\W\d_]+(?:['ʻʼ’‘`][^\W\d_]+)*")
_LONE_Q = re.compile(r"q(?!u)")
_UZ_SIGN = re.compile(r"[og]['ʻʼ’‘`][^\W\d_]", re.IGNORECASE)
# Frequent words that only one Latin-script Turkic language writes this way. No personal or
# country names: English and other languages print Tokayev, Erdoğan or Türkiye as they are.
_WORD_CUES: dict[str, frozenset[str]] = {
    "kk": _words(
        "jáne jäne men úshin üşin ushin boıynsha boiynsha bolady qazaqstan qazaqstannyń "
        "túrki memleketteri memleketter uıymy uiymy uyymy uıym keńes keñes prezıdent "
        "sammıt sammiti qatysty respýblıkasy respublikasy otyrysy jıyn memlekettik "
        "elorda halyqaralyq yntymaqtastyq kelissóz saparmen"
    ),
    "uz": _words(
        "va bilan uchun haqida davlatlar davlat tashkiloti tashkilot oʻzbekiston "
        "o'zbekiston ozbekiston prezidenti prezident yig'ilishi yigʻilishi "
        "yig'ilish sammiti qildi boʻyicha bo'yicha hamkorlik xalqaro turkiy kengashi "
        "rahbarlari yil bo'ldi boʻldi muhokama tashrif"
    ),
    "tk": _words(
        "we bilen üçin türkmenistanyň döwlet döwletleriň guramasy prezidenti "
        "halkara hyzmatdaşlyk geňeşi sammiti boýunça"
    ),
    "az": _words("və ilə üçün dövlətləri təşkilatı prezidenti iclası zirvə"),
    "tr": _words(
        "ve ile için devletleri teşkilatı cumhurbaşkanı zirvesi bakanı toplantısı dışişleri"
    ),
}


# The same, by word: one look-up per word of a text (the languages in _WORD_CUES order).
_CUE_LANGS: dict[str, tuple[str, ...]] = {}
for _lang, _cues in _WORD_CUES.items():
    for _cue in _cues:
        _CUE_LANGS[_cue] = (*_CUE_LANGS.get(_cue, ()), _lang)

_NO_CUES = repeat(())  # the default of _CUE_LANGS.get, for map()

# Words only English writes: a Latin title made of foreign names (Japarov, Tashiev, Bishkek)
# and one of these is English, whatever py3langid makes of the names.
_ENGLISH = _words(
    "the of and with from for will says said meets meet visits visit talks holds discuss "
    "discusses discussed signs sign opens after over amid"
)
_TURKIC_LATIN = _words("tr az uz kk tk")
_TURKIC_LETTERS = frozenset("əğışçöüñńǵúýňʻʼ")

# Short titles are ambiguous; prefer the languages this project's sources publish in.
_PRIOR = {
    "en": 4.0,
    "ru": 3.0,
    "tr": 3.0,
    "kk": 2.0,
    "uz": 2.0,
    "az": 2.0,
    "ky": 2.0,
    "tk": 2.0,
    "hu": 2.0,
    "fr": 2.0,
    "de": 2.0,
    "uk": 2.0,
    "es": 1.5,
    "it": 1.5,
}


@lru_cache(maxsize=4096)
def _script(ch: str) -> str | None:
    cp = ord(ch)
    for lo, hi, name in _RANGES:
        if lo <= cp <= hi:
            return name
    return None


def _norm_code(code: str | None) -> str | None:
    if not code:
        return None
    c = code.strip().lower().replace("_", "-").split("-")[0]
    c = _ALIASES.get(c, c)
    return c if c.isalpha() and 2 <= len(c) <= 3 else None


@lru_cache(maxsize=1)
def identifier() -> Any:
    """py3langid's model, loaded once (about a second)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@lru_cache(maxsize=1)
def _batch_ranker() -> BatchRanker:
    from crawler.langbatch import BatchRanker  # numpy, imported when first needed

    return BatchRanker(identifier(), _LATIN_LANGS | _CYRILLIC_LANGS | _ARABIC_LANGS)


def _cyrillic_cue(letters: Mapping[str, int]) -> tuple[str | None, float]:
    def has(chars: str) -> bool:
        return not letters.keys().isdisjoint(chars)

    kazakh_only, uzbek_only = has("ұ"), has("ў")
    if has("ӣӯҷ"):
        return "tg", 0.85
    if kazakh_only or (has("і") and has("әғқңөүұһ")) or (has("ә") and has("қғ")):
        return "kk", 0.95
    if uzbek_only and has("і"):
        return "be", 0.85
    if uzbek_only or has("ҳ") or (has("қғ") and not has("әңөүұі")):
        return "uz", 0.9
    if has("ңөү") and not has("әғқұіһ"):
        return ("ky", 0.9) if has("ң") else ("ky", 0.6)
    if has("їєґ") or has("і"):
        return "uk", 0.9
    if has("ә") and has("өү"):
        return "tt", 0.7
    return None, 0.0


def _latin_cue(text: str, letters: Mapping[str, int]) -> tuple[str | None, float]:
    def has(chars: str) -> bool:
        return not letters.keys().isdisjoint(chars)

    # one look-up per word, counted in C (a flagged item's language is asked on the hot path)
    votes: Counter[str] = Counter(
        chain.from_iterable(map(_CUE_LANGS.get, map(str.lower, _WORD.findall(text)), _NO_CUES))
    )
    if has("ə"):
        votes["az"] += 3
    lone_q = "q" in letters and _LONE_Q.search(text.lower()) is not None  # Kazakh q, not "qu"
    if has("ǵńúý") and (lone_q or has("ıǵ")):
        votes["kk"] += 3
    if has("ǵū") or (has("ñ") and (lone_q or has("ä"))):
        votes["kk"] += 2
    if has("ň") or (has("ý") and has("äşüöç")):
        votes["tk"] += 3
    if _UZ_SIGN.search(text):
        votes["uz"] += 2
    if has("ğ") and has("ş") and not has("qxəä"):
        votes["tr"] += 2
    if has("őű"):
        votes["hu"] += 3
    if not votes:
        return None, 0.0
    (lang, n), *rest = votes.most_common(2)
    runner_up = rest[0][1] if rest else 0
    if n >= 2 and n > runner_up:
        return lang, min(0.95, 0.7 + 0.08 * (n - runner_up))
    return None, 0.0


def _ranked(text: str, allowed: frozenset[str], ranking: Mapping[str, float]) -> tuple[str, float]:
    """The best of py3langid's ranking among the script's languages, weighted by our priors."""
    weighted = [(lang, p * _PRIOR.get(lang, 1.0)) for lang, p in ranking.items() if lang in allowed]
    weighted.sort(key=lambda lp: lp[1], reverse=True)
    if not weighted:
        return "und", 0.0
    total = sum(p for _, p in weighted) or 1.0
    lang, p = weighted[0]
    lang, confidence = lang, round(min(1.0, p / total), 3)
    if allowed is _LATIN_LANGS and lang in _TURKIC_LATIN and _english_marked(text):
        return "en", 0.6
    return lang, confidence


@dataclass(frozen=True)
class _Undecided:
    """Neither the script, the letters nor the declared language decide: py3langid ranks."""

    text: str
    allowed: frozenset[str]


def _decide(text: str, declared: str | None) -> tuple[str, float] | _Undecided:
    """Everything but the statistical model: script, declared language, letter and word cues."""
    text = unicodedata.normalize("NFC", text or "")
    # one pass over the distinct characters (counted in C) for both: a flagged item's
    # language is asked on the classifier's hot path
    letters: dict[str, int] = {}
    scripts: dict[str, int] = {}
    for ch, n in Counter(text.lower()).items():
        if ch.isalpha():
            letters[ch] = n
            script = _script(ch)
            if script:
                scripts[script] = scripts.get(script, 0) + n
    if not scripts:
        return "und", 0.0
    if scripts.get("kana"):
        return "ja", 0.9
    script = max(scripts, key=scripts.__getitem__)  # the first of the most, as most_common
    decl = _norm_code(declared)
    if script == "latin" and decl == "ky":
        decl = None  # Kyrgyz in Latin letters is not something sources publish
    if script in _SINGLE:
        return _SINGLE[script], 0.95 if decl == _SINGLE[script] else 0.85
    if script == "cyrillic":
        allowed, (cue, strength) = _CYRILLIC_LANGS, _cyrillic_cue(letters)
    elif script == "latin":
        allowed, (cue, strength) = _LATIN_LANGS, _latin_cue(text, letters)
    else:
        allowed, (cue, strength) = _ARABIC_LANGS, (None, 0.0)
    if decl in allowed and (cue is None or cue == decl or strength < 0.85):
        return decl, 0.95 if cue == decl else 0.9
    if cue is not None and strength >= 0.6:
        return cue, strength
    return _Undecided(text, allowed)


def detect_language(text: str, declared: str | None = None) -> tuple[str, float]:
    """ISO 639-1 code (en ru tr kk uz az ky tk hu fr de zh ar uk ... or 'und') and confidence."""
    decided = _decide(text, declared)
    if not isinstance(decided, _Undecided):
        return decided
    return _ranked(decided.text, decided.allowed, dict(identifier().rank(decided.text)))


def detect_languages(samples: Sequence[tuple[str, str | None]]) -> list[tuple[str, float]]:
    """`detect_language` for many (text, declared) pairs: the same answers, and the texts the
    model must rank are ranked together (crawler/langbatch.py), several times faster."""
    decided = [_decide(text, declared) for text, declared in samples]
    undecided = [d for d in decided if isinstance(d, _Undecided)]
    rankings = iter(_batch_ranker().probabilities([d.text for d in undecided]) if undecided else [])
    return [
        _ranked(d.text, d.allowed, next(rankings)) if isinstance(d, _Undecided) else d
        for d in decided
    ]


def _english_marked(text: str) -> bool:
    """Plain Latin letters and an English-only word: English about Turkic names and places."""
    if any(c in _TURKIC_LETTERS for c in text.lower()):
        return False
    return any(w.lower() in _ENGLISH for w in _WORD.findall(text))
