"""Cyrillic <-> Latin spellings of a phrase in the Turkic languages written in both scripts.

Why: folding (textnorm) maps every Cyrillic letter to one Latin skeleton, language-blind, so
`Түркі` and `Túrkı` already meet; but each language's Latin alphabet spells some sounds its
own way (Kazakh ş and j, Uzbek x and sh, Azerbaijani ə and q, Turkmen w and ý), and those folds
differ from the skeleton. A phrase written in one script gets, at compile time, its spelling in
the language's other script(s); the folded text then meets either. Tables follow the official
alphabets: Kazakh 2021 (and the 2018 acute-accent version still used by some outlets), Uzbek
1995 Latin, Azerbaijani 1991 Latin and its Soviet Cyrillic, Turkmen 1993 Latin and Soviet
Cyrillic, Kyrgyz as the press romanizes it (no official Latin alphabet).
"""

from __future__ import annotations

import re

_KK_2021 = dict(
    а="a", ә="ä", б="b", в="v", г="g", ғ="ǵ", д="d", е="e", ё="io", ж="j", з="z", и="i", й="i",
    к="k", қ="q", л="l", м="m", н="n", ң="ń", о="o", ө="ó", п="p", р="r", с="s", т="t", у="u",
    ұ="ū", ү="ú", ф="f", х="h", һ="h", ц="ts", ч="ch", ш="ş", щ="şş", ъ="", ы="y", і="ı",
    ь="", э="e", ю="iu", я="ia",
)  # fmt: skip
_KK_2018 = {**_KK_2021, "ә": "á", "и": "ı", "й": "ı", "ұ": "u", "у": "ý", "і": "i", "ш": "sh",
            "щ": "shch", "ю": "ıý", "я": "ıa"}  # fmt: skip
_KY = dict(
    а="a", б="b", в="v", г="g", д="d", е="e", ё="yo", ж="j", з="z", и="i", й="y", к="k", л="l",
    м="m", н="n", ң="ng", о="o", ө="ö", п="p", р="r", с="s", т="t", у="u", ү="ü", ф="f",
    х="h", ц="ts", ч="ch", ш="sh", щ="shch", ъ="", ы="y", ь="", э="e", ю="yu", я="ya",
)  # fmt: skip
_UZ_TO_LATIN = dict(
    а="a", б="b", в="v", г="g", ғ="gʻ", д="d", е="e", ё="yo", ж="j", з="z", и="i", й="y",
    к="k", қ="q", л="l", м="m", н="n", о="o", ў="oʻ", п="p", р="r", с="s", т="t", у="u",
    ф="f", х="x", ҳ="h", ц="ts", ч="ch", ш="sh", ъ="ʼ", ь="", э="e", ю="yu", я="ya",
)  # fmt: skip
# Latin to Cyrillic: longest letter groups first (sh before s, o' before o).
_UZ_TO_CYRILLIC = [
    ("sh", "ш"), ("ch", "ч"), ("yo", "ё"), ("yu", "ю"), ("ya", "я"), ("o'", "ў"), ("g'", "ғ"),
    ("a", "а"), ("b", "б"), ("v", "в"), ("g", "г"), ("d", "д"), ("e", "е"), ("j", "ж"),
    ("z", "з"), ("i", "и"), ("y", "й"), ("k", "к"), ("q", "қ"), ("l", "л"), ("m", "м"),
    ("n", "н"), ("o", "о"), ("p", "п"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"),
    ("f", "ф"), ("x", "х"), ("h", "ҳ"), ("'", "ъ"),
]  # fmt: skip
_AZ_TO_CYRILLIC = [
    ("a", "а"), ("b", "б"), ("c", "ҹ"), ("ç", "ч"), ("d", "д"), ("e", "е"), ("ə", "ә"),
    ("f", "ф"), ("g", "ҝ"), ("ğ", "ғ"), ("h", "һ"), ("x", "х"), ("ı", "ы"), ("i", "и"),
    ("j", "ж"), ("k", "к"), ("q", "г"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"),
    ("ö", "ө"), ("p", "п"), ("r", "р"), ("s", "с"), ("ş", "ш"), ("t", "т"), ("u", "у"),
    ("ü", "ү"), ("v", "в"), ("y", "ј"), ("z", "з"),
]  # fmt: skip
_TK_TO_CYRILLIC = [
    ("a", "а"), ("b", "б"), ("ç", "ч"), ("d", "д"), ("e", "е"), ("ä", "ә"), ("f", "ф"),
    ("g", "г"), ("h", "х"), ("i", "и"), ("j", "җ"), ("ž", "ж"), ("k", "к"), ("l", "л"),
    ("m", "м"), ("n", "н"), ("ň", "ң"), ("o", "о"), ("ö", "ө"), ("p", "п"), ("r", "р"),
    ("s", "с"), ("ş", "ш"), ("t", "т"), ("u", "у"), ("ü", "ү"), ("w", "в"), ("y", "ы"),
    ("ý", "й"), ("z", "з"),
]  # fmt: skip

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_TURKIC_LOWER = str.maketrans({"I": "ı", "İ": "i"})  # dotless and dotted i, as written
_APOSTROPHES = str.maketrans({c: "'" for c in "’ʼ`‘ʻ"})


def _by_letter(text: str, table: dict[str, str]) -> str:
    out = []
    for ch in text:
        low = ch.lower()
        if low in table:
            rep = table[low]
            out.append(rep[:1].upper() + rep[1:] if ch != low and rep else rep)
        else:
            out.append(ch)
    return "".join(out)


def _by_group(text: str, table: list[tuple[str, str]]) -> str:
    out = []
    i = 0
    src = text.translate(_APOSTROPHES)
    while i < len(src):
        for latin, cyr in table:
            piece = src[i : i + len(latin)]
            if piece.translate(_TURKIC_LOWER).lower() == latin:
                out.append(cyr.upper() if piece[:1].isupper() else cyr)
                i += len(latin)
                break
        else:
            out.append(src[i])
            i += 1
    return "".join(out)


def other_scripts(phrase: str, lang: str) -> list[str]:
    """The phrase spelled in the language's other script(s); empty for other languages."""
    cyrillic = bool(_CYRILLIC.search(phrase))
    latin = bool(_LATIN.search(phrase))
    if cyrillic == latin:  # neither script, or already mixed: nothing sensible to generate
        return []
    if lang == "kk" and cyrillic:
        return [_by_letter(phrase, _KK_2021), _by_letter(phrase, _KK_2018)]
    if lang == "ky" and cyrillic:
        return [_by_letter(phrase, _KY)]
    if lang == "uz":
        if cyrillic:
            return [_by_letter(phrase, _UZ_TO_LATIN)]
        return [_by_group(phrase, _UZ_TO_CYRILLIC)]
    if lang == "az" and latin:
        return [_by_group(phrase, _AZ_TO_CYRILLIC)]
    if lang == "tk" and latin:
        return [_by_group(phrase, _TK_TO_CYRILLIC)]
    return []


# Russian-style surname endings as each language writes them: Omuraliev, Omuraliyev (Turkish,
# English), Omuralijev (Hungarian), Omuraliew / Omuralijew (German, Polish), Omuraliýew (Turkmen).
_AFTER_I: tuple[str, ...] = ("iev", "iyev", "ijev", "iew", "ijew", "iýew")
_AFTER_VOWEL: tuple[str, ...] = ("ev", "yev", "jev", "jew")


def name_variants(spelling: str) -> list[str]:
    """A Latin-script name with its surname's ending in each transliteration (Cyrillic names
    fold alike already); other words are left as written."""
    words = spelling.split()
    last = words[-1] if words else ""
    if _CYRILLIC.search(last) or not re.search(r"[ei]?[vw]$", last, re.I):
        return [spelling]
    m = re.search(r"[iı][yjý]?e[vw]$", last, re.I)
    if m:
        stem, ends = last[: m.start()], _AFTER_I
    else:
        m = re.search(r"(?<=[aeiouäöü])[yjý]?e[vw]$", last, re.I)
        if not m:
            return [spelling]
        stem, ends = last[: m.start()], _AFTER_VOWEL
    head = " ".join(words[:-1])
    return list(dict.fromkeys(f"{head} {stem}{e}".strip() for e in ends))
