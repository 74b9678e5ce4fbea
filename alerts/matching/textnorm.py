"""Text folding for matching: one canonical, script-neutral form of any news text.

Why: the same name reaches us as `Teşkilatı'nın`, `TEŞKİLATI`, `Түркі мемлекеттері ұйымы`,
`Türki memleketteri uıymy` or `Turkiy davlatlar tashkiloti`. Folding every character the same way
(NFKC, Turkish-safe case folding, diacritics stripped, Cyrillic transliterated to Latin, y/ı/i
merged, apostrophes and dashes unified) lets one pattern match every spelling.

Folding is strictly per character (each input character becomes zero or more output
characters), so an offset map back to the original text is exact and cheap. It is built lazily:
only documents that matched something need it.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain, count, repeat

# Cyrillic (Russian, Ukrainian, Kazakh, Kyrgyz, Uzbek, Tajik) to a Latin skeleton chosen so
# that the Latin alphabets of Kazakh, Uzbek and Kyrgyz land on the same string.
_CYRILLIC = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "i",
    "ь": "",
    "э": "e",
    "ю": "iu",
    "я": "ia",
    "є": "ie",
    "і": "i",
    "ї": "i",
    "ґ": "g",
    "ә": "a",
    "ғ": "g",
    "қ": "q",
    "ң": "n",
    "ө": "o",
    "ұ": "u",
    "ү": "u",
    "һ": "h",
    "ў": "o",
    "ҳ": "h",
    "ӣ": "i",
    "ӯ": "u",
    "ҷ": "j",
    "ѓ": "g",
    "ќ": "k",
    "ј": "j",
    "љ": "lj",
    "њ": "nj",
    "ћ": "c",
    "џ": "dz",
    "ђ": "d",
    "ѕ": "dz",
}
# Latin letters that do not decompose into base + mark.
_LATIN = {
    "ı": "i",
    "y": "i",
    "ə": "e",
    "ß": "ss",
    "ø": "o",
    "đ": "d",
    "ł": "l",
    "æ": "ae",
    "œ": "oe",
    "þ": "th",
    "ð": "d",
    "ŋ": "n",
    "ħ": "h",
}
# Arabic: unify alef and yeh/teh-marbuta variants, and the Persian keheh and yeh that copy from
# Persian keyboards brings into Arabic text (الترکیة); harakat are marks and vanish anyway.
_ARABIC = {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ـ": "", "ک": "ك", "ی": "ي"}
APOSTROPHES = "'’ʼ`‘´ʻ′＇ʹ"
_DASHES = "-‐‑‒–—―−﹘﹣－"
_ZERO_WIDTH = "\u00ad\u200b\u200c\u200d\u2060\ufeff"


# Traditional Chinese characters of this domain's names, folded to their Simplified forms, so
# 突厥國家組織 matches 突厥国家组织 (Taiwan and Hong Kong outlets write the former).
_HANT = dict(
    zip(
        "國組織會語議員際學資產遺統長與發經濟關係總選對話實現歷屆開舉辦團體區歐亞聯東維爾薩納歲"
        "為這個們時間來後說點從進動當業務員參訪問領導戰略貿易運輸鐵鄉門車雙邊務議題環節網絡數據",
        "国组织会语议员际学资产遗统长与发经济关系总选对话实现历届开举办团体区欧亚联东维尔萨纳岁"
        "为这个们时间来后说点从进动当业务员参访问领导战略贸易运输铁乡门车双边务议题环节网络数据",
        strict=True,
    )
)


def _fold_char(ch: str) -> str:
    """Fold one character; the result may be empty or several characters long."""
    if ch in APOSTROPHES:
        return "'"
    if ch in _DASHES or ch.isspace():
        return " "
    if ch in _ZERO_WIDTH:
        return ""
    out = []
    for c in unicodedata.normalize("NFKC", ch):
        if c == "İ":
            c = "i"
        low = c.lower()
        if low in _CYRILLIC:  # before NFD: ў and й must not lose their breve to become у, и
            out.append(_CYRILLIC[low])
            continue
        for d in unicodedata.normalize("NFD", low):
            if unicodedata.category(d) == "Mn":
                continue
            d = _LATIN.get(d, d)
            d = _CYRILLIC.get(d, d)
            d = _ARABIC.get(d, d)
            d = _HANT.get(d, d)
            if not d:  # tatweel: "" is in every string, so it was taken for an apostrophe
                continue
            if d in APOSTROPHES:
                d = "'"
            elif d in _DASHES or d.isspace():
                d = " "
            out.append(d)
    return "".join(out)


class _FoldTable(dict[int, str]):
    """A `str.translate` table that computes and remembers the folding of unseen characters."""

    def __missing__(self, key: int) -> str:
        value = _fold_char(chr(key))
        self[key] = value
        if len(value) == 1:
            _ONE_TO_ONE.add(chr(key))
        return value


_TABLE = _FoldTable()
_ONE_TO_ONE: set[str] = set()  # characters seen that fold to exactly one character


def fold(text: str) -> str:
    """The folded form of `text` (used for patterns and for quick checks)."""
    return text.translate(_TABLE)


@dataclass
class Folded:
    """A folded text plus the way back to the original characters."""

    original: str
    text: str
    _offsets: list[int] | None = field(default=None, repr=False)

    def _offset_map(self) -> list[int]:
        if self._offsets is None:
            # how many folded characters each original one became, all in C (map, repeat)
            if len(self.text) == len(self.original) and _ONE_TO_ONE.issuperset(self.original):
                self._offsets = list(range(len(self.original)))  # one set operation, in C
            else:
                sizes = list(map(len, map(_TABLE.__getitem__, map(ord, self.original))))
                self._offsets = list(chain.from_iterable(map(repeat, count(), sizes)))
        return self._offsets

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a folded span [start, end) to the span of original characters it came from."""
        if end <= start:
            return (0, 0)
        offsets = self._offset_map()
        return offsets[start], offsets[end - 1] + 1

    def original_text(self, start: int, end: int) -> str:
        """The original characters behind a folded span, as evidence to show a reader."""
        a, b = self.original_span(start, end)
        return self.original[a:b]


# Uzbek Latin writes oʻ/gʻ with an apostrophe-like sign that Cyrillic (ў, ғ) does not have.
_UZBEK_SIGN = re.compile(r"(?<=[og])'(?=[^\W\d_])")


def normalize(text: str) -> Folded:
    """Fold `text` for matching and keep the offset map for evidence."""
    folded = fold(text)
    if "'" not in folded or not _UZBEK_SIGN.search(folded):
        return Folded(text, folded)
    chars: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        for c in _TABLE[ord(ch)]:
            chars.append(c)
            offsets.append(i)
    drop = {m.start() for m in _UZBEK_SIGN.finditer(folded)}
    kept = [k for k in range(len(chars)) if k not in drop]
    return Folded(text, "".join(chars[k] for k in kept), [offsets[k] for k in kept])


def fold_many(texts: Sequence[str]) -> tuple[list[str], str, list[Folded] | None]:
    """Fold the fields of one item with one translate call: the folded texts, the same joined
    by NUL (which folds to itself and no character folds into) as the prefilter scans them,
    and their `Folded` where folding was not simply per character (a field holding a NUL, the
    Uzbek sign): None when `Folded(text, folded)` of each is right, made only when needed
    (an item nothing matches needs none)."""
    joined = "\0".join(texts)
    if joined.count("\0") != len(texts) - 1:  # a field holds a NUL itself
        folded = [normalize(t) for t in texts]
        joined = "\0".join(f.text.replace("\0", " ") for f in folded)
        return [f.text for f in folded], joined, folded
    text = fold(joined)
    if "'" in text and _UZBEK_SIGN.search(text):
        folded = [normalize(t) for t in texts]
        return [f.text for f in folded], "\0".join(f.text for f in folded), folded
    return text.split("\0"), text, None


def fold_pattern(text: str) -> str:
    """Fold a pattern exactly as `normalize` folds document text."""
    return normalize(text).text


def is_word_char(ch: str) -> bool:
    """Letters and digits of any script (folded text); everything else separates words."""
    return ch.isalnum()


_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>")
# A word broken at a line end ("Organiza-\ntion"): the next line goes on in lower case.
_HYPHENATED = re.compile(r"(?<=[^\W\d_])[-\u2010\u00ad][ \t]*\r?\n\s*(?=[^\W\d_])")


def clean_markup(text: str) -> str:
    """Undo what feeds leave in titles and summaries: HTML entities (`&#039;`, `&amp;`), stray
    tags, and words hyphenated across a line break. Text without any of them is returned as is."""
    if "&" in text or "<" in text:
        if "<" in text:
            text = _TAG.sub(" ", text)
        if "&" in text:
            text = html.unescape(text)
    if "\n" in text and _HYPHENATED.search(text):
        text = _HYPHENATED.sub(_join_hyphenated, text)
    return text


def _join_hyphenated(m: re.Match[str]) -> str:
    nxt = m.string[m.end() : m.end() + 1]
    return "" if nxt.islower() else m.group()


def is_upper_text(text: str) -> bool:
    """Whether a text is written in capitals (an all-caps headline): 80% of its letters."""
    letters = [c for c in text if c.isalpha() and c.lower() != c.upper()]
    if len(letters) < 8:
        return False
    return sum(c.isupper() for c in letters) >= 0.8 * len(letters)
