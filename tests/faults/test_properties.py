"""Properties that must hold for any input (hypothesis): URL canonicalization, text folding,
the watch-list query parser, config loading, and untrusted text in every rendered channel."""

from __future__ import annotations

import re
import string
import tempfile
from dataclasses import replace
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerts.delivery.render import render_email, render_slack, render_text
from alerts.delivery.view import MAX_FIELD
from alerts.matching.query import Query, QuerySyntaxError
from alerts.matching.textnorm import fold, normalize
from crawler.normalize import canonical_url
from otswatch.config import ConfigFileError, load_config
from tests.alerts.conftest import make_digest, make_entry

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

hosts = st.from_regex(r"(www\.|m\.)?[a-z][a-z0-9-]{0,12}\.(kz|az|com|org|xn--p1ai)", fullmatch=True)
segments = st.text(string.ascii_letters + string.digits + "-_.~%é", max_size=12)
params = st.lists(
    st.tuples(
        st.sampled_from(["utm_source", "utm_medium", "fbclid", "id", "page", "lang", "q", "ref"]),
        st.text(string.ascii_letters + string.digits + " &=é", max_size=8),
    ),
    max_size=5,
)


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP"]))
    host = draw(hosts)
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    path = "/" + "/".join(draw(st.lists(segments, max_size=4)))
    query = "&".join(f"{k}={v}" for k, v in draw(params))
    fragment = draw(st.sampled_from(["", "#top", "#amp"]))
    return f"{scheme}://{host}{port}{path}{'?' + query if query else ''}{fragment}"


@FAST
@given(urls())
def test_canonical_url_is_idempotent_and_drops_tracking(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once
    assert "utm_" not in once and "fbclid" not in once and "#" not in once
    assert once.startswith(("http://", "https://"))


@FAST
@given(st.text(max_size=200))
def test_canonical_url_never_raises_on_garbage(text: str) -> None:
    assert isinstance(canonical_url(text), str)


@FAST
@given(st.text(max_size=300))
def test_folding_is_stable_and_maps_back_into_the_original(text: str) -> None:
    folded = normalize(text)
    # normalizing twice changes nothing more (normalize also joins Uzbek oʻ/gʻ, which the plain
    # `fold` of patterns does not: fold_pattern does, so text and patterns agree)
    assert normalize(folded.text).text == folded.text
    assert fold(fold(text)) == fold(text)
    for start in range(0, len(folded.text), 7):
        a, b = folded.original_span(start, min(start + 5, len(folded.text)))
        assert 0 <= a <= b <= len(text)


query_words = st.sampled_from(
    ["OTS", "Turkic", '"Organization of Turkic States"', "AND", "OR", "NOT", "NEAR/5", "(", ")",
     "Түркі*", '"', "tdt", "Budapest", "NEAR", "*", "-"]
)  # fmt: skip


@FAST
@given(st.lists(query_words, max_size=12).map(" ".join) | st.text(max_size=80))
def test_the_query_parser_parses_or_says_why(source: str) -> None:
    try:
        query = Query.parse(source)
    except QuerySyntaxError as exc:
        assert str(exc)  # a message for the config problem line
        return
    assert query.source == source


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
source_entries = st.fixed_dictionaries(
    {},
    optional={
        "name": st.text(max_size=12) | st.integers(),
        "url": st.sampled_from(["https://a.kz/rss", "ftp://x", "not a url", ""]) | st.integers(),
        "type": st.sampled_from(["feed", "site", "rss", 3]),
        "interval": st.sampled_from(["15m", "1s", "forever", -1, "1h"]),
        "allow_private": st.lists(st.sampled_from(["10.0.0.0/8", "intranet.kz", "http://x", "*.c"]))
        | yaml_values,
        "site": yaml_values,
        "enrich": yaml_values,
    },
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(source_entries, max_size=4) | yaml_values, yaml_values)
def test_config_loading_reports_problems_and_never_crashes(
    sources: object, settings_doc: object
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / "sources.yaml").write_text(yaml.safe_dump({"sources": sources}), "utf-8")
        (directory / "otswatch.yaml").write_text(yaml.safe_dump(settings_doc), "utf-8")
        try:
            config = load_config(directory)
        except ConfigFileError as exc:
            assert str(exc)
            return
        for problem in config.problems:
            assert problem.file and problem.message


hostile = st.lists(
    st.text(st.characters(codec="utf-8"), max_size=40)
    | st.sampled_from(
        ["<script>", "</b>", "&amp;", "<!channel>", "*x*", "\u202e", "\x1b[31m", "@here"]
    ),
    max_size=60,
).map("".join)


@FAST
@given(hostile, hostile, hostile)
def test_untrusted_text_never_becomes_markup_and_stays_bounded(
    title: str, summary: str, evidence: str
) -> None:
    entry = make_entry(title=title, summary=summary, source=evidence[:50])
    entry = replace(entry, evidence=(replace(entry.evidence[0], text=evidence),))
    digest = make_digest((entry,), footer_notes=(evidence,))
    email = render_email(digest)
    text = render_text(digest)
    slack = str(render_slack(digest))
    for output in (email.subject, email.text, email.html, text, slack):
        assert not CONTROL.search(output)
    assert "<script>" not in email.html and "<!channel>" not in slack
    assert "\n" not in email.subject and len(email.subject) <= 200
    assert len(email.html) < 40 * MAX_FIELD + 20_000  # every field capped
