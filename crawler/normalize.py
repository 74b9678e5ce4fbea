"""Pure normalization: canonical URLs (the identity key of an item) and plain text.

Everything here is deterministic and does no I/O, so feeds and spiders agree on identity.
Dates: crawler.dates (machine dates) and crawler.pagedates (dates in a page's text).
"""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

# -- canonical URLs ---------------------------------------------------------------------------

_TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "yclid", "msclkid", "twclid", "igshid",
        "mc_cid", "mc_eid", "ref", "ref_src", "ref_url", "referrer", "_ga", "_gl", "cmpid",
        "cmp", "icid", "ito", "ncid", "spm", "_hsenc", "_hsmi", "mkt_tok", "oly_enc_id",
        "oly_anon_id", "rb_clickid", "s_cid", "vero_id", "vero_conv", "wt_mc", "wt.mc_id",
        "at_medium", "at_campaign", "at_custom1", "sr_share", "ocid", "amp", "outputtype",
        "share", "rss", "from_rss", "utm",
    }
)  # fmt: skip
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")
_HOST_PREFIXES = ("www.", "m.", "amp.")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = re.compile(r"%([0-9A-Fa-f]{2})")
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"


def canonical_url(url: str, base: str | None = None) -> str:
    """The identity form of a URL: the same article reached by any link gives the same string.

    Lower-cases scheme and host, drops `www.`/`m.`/`amp.`, default ports, credentials, the
    fragment, AMP markers and tracking parameters, sorts the query, IDNA-encodes the host and
    normalizes percent-escapes; path case is kept (servers are case-sensitive there).
    Non-http(s) URLs are returned stripped but otherwise untouched.
    """
    url = url.strip()
    if base:
        url = urljoin(base, url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url
    host = _canonical_host(parts.hostname)
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"

    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(key, value)
    ]
    path = _canonical_path(parts.path)
    if path != "/" and path.endswith("/amp"):
        path = path[: -len("/amp")] or "/"
    elif path.endswith("/amp/"):
        path = path[: -len("amp/")]
    query.sort()
    return urlunsplit((scheme, netloc, path, urlencode(query, quote_via=quote), ""))


def same_site(url: str, other: str) -> bool:
    """True when both URLs are on one site (host after prefix stripping, and port)."""
    return urlsplit(canonical_url(url)).netloc == urlsplit(canonical_url(other)).netloc


def _canonical_host(hostname: str) -> str:
    host = hostname.lower().rstrip(".")
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
    if host.isascii():
        return host
    try:
        import idna  # the IDNA 2008 codec; installed with httpx

        return str(idna.encode(host, uts46=True).decode("ascii"))
    except (ImportError, UnicodeError, ValueError):
        return host.encode("idna").decode("ascii")


def _is_tracking(key: str, value: str) -> bool:
    name = key.lower()
    if name == "outputtype":
        return value.lower() == "amp"
    return name in _TRACKING_PARAMS or name.startswith(_TRACKING_PREFIXES)


def _canonical_path(path: str) -> str:
    if not path:
        return "/"
    path = _remove_dot_segments(path)
    path = quote(path, safe=_PATH_SAFE)
    return _UNRESERVED.sub(_normalize_escape, path)


def _normalize_escape(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    if char.isascii() and (char.isalnum() or char in "-._~"):
        return char
    return "%" + match.group(1).upper()


def _remove_dot_segments(path: str) -> str:
    if "." not in path:
        return path
    out: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if len(out) > 1:
                out.pop()
        elif segment != ".":
            out.append(segment)
    if path.endswith(("/.", "/..")):
        out.append("")
    result = "/".join(out)
    return result if result.startswith("/") else "/" + result


# -- text -------------------------------------------------------------------------------------

_DROP_OPENER = re.compile(r"<(script|style|noscript|template|svg)\b[^>]*>|<!--", re.I)


def _drop_elements(text: str) -> str:
    """Remove script/style/svg... elements and comments in one left-to-right pass.

    A regex with a lazy `.*?` up to the closing tag rescans the rest of the text for every
    opener that is never closed (quadratic: a feed of 16,000 unclosed `<svg>` took 25 s). Here
    each closer is searched once; an element never closed swallows the rest, as in a browser.
    """
    lowered = text.lower()
    out: list[str] = []
    pos = 0
    while (match := _DROP_OPENER.search(text, pos)) is not None:
        out.append(text[pos : match.start()])
        closer = "-->" if match.group(0) == "<!--" else f"</{match.group(1).lower()}"
        end = lowered.find(closer, match.end())
        if end < 0:
            return "".join(out) + " "
        close_end = lowered.find(">", end)
        pos = len(text) if close_end < 0 else close_end + 1
        out.append(" ")
    out.append(text[pos:])
    return "".join(out)


_BLOCK_TAGS = re.compile(
    r"</?(?:p|div|br|li|ul|ol|h[1-6]|tr|table|section|article|blockquote|header|footer|pre)\b[^>]*>",
    re.I,
)
_TAG = re.compile(r"<[A-Za-z/!][^>]*>")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\xad"))
# C0 controls other than tab, newline and carriage return: PostgreSQL refuses NUL in text,
# and none of them means anything in an article. Separator-like ones become spaces.
_CONTROLS: dict[int, str | None] = {
    **dict.fromkeys(range(0x20)),
    **dict.fromkeys((0x0B, 0x0C, 0x1C, 0x1D, 0x1E, 0x1F), " "),
    **{code: chr(code) for code in (0x09, 0x0A, 0x0D)},
}
_SURROGATE = re.compile("[\ud800-\udfff]")


def storable_text(text: str) -> str:
    """`text` without C0 control characters (tab, LF, CR kept) or lone surrogates (U+FFFD).

    Either one makes a database reject the whole batch: PostgreSQL refuses NUL, and no
    driver can encode a lone surrogate as UTF-8.
    """
    text = text.translate(_CONTROLS)
    return _SURROGATE.sub("\ufffd", text) if _has_surrogate(text) else text


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


_LOOKS_HTML = re.compile(r"<[A-Za-z!/]")


def clean_text(html_or_text: str, *, keep_paragraphs: bool = False) -> str:
    """Plain NFC text: tags stripped, entities unescaped, whitespace collapsed.

    With `keep_paragraphs`, block boundaries and line breaks survive as single newlines.
    """
    text = html_or_text
    if _LOOKS_HTML.search(text):
        text = _drop_elements(text)
        text = _BLOCK_TAGS.sub("\n", text)
        text = _TAG.sub("", text)
    text = storable_text(html.unescape(text).translate(_INVISIBLE))
    text = unicodedata.normalize("NFC", text)
    if not keep_paragraphs:
        return " ".join(text.split())
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)
