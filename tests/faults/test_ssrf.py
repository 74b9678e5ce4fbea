"""SSRF: listeners on forbidden addresses count connections while real fetches follow links
from feeds, redirects, a WebSub hub and a DNS-rebinding name; zero must be reached.

Runs in a network namespace the test makes for itself (`unshare -rn`), where 10/8, 192.168/16,
172.16/12, 169.254.169.254 and a public-looking address can live on the loopback device. Where
the machine does not allow that, it falls back to 127.0.0.x aliases and says so.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crawler.addresses import AllowList
from crawler.crawl import crawl_reach
from crawler.types import SiteRules, Source

ROOT = Path(__file__).resolve().parents[2]
WORLD = Path(__file__).with_name("ssrf_world.py")
CRAWL_WORLD = Path(__file__).with_name("ssrf_crawl_world.py")


def _namespaces_allowed() -> bool:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-rn", "ip", "link", "set", "lo", "up"], capture_output=True, timeout=10
    )
    return probe.returncode == 0


def _run(world_script: Path, namespaced: bool) -> dict[str, Any]:
    command = [sys.executable, str(world_script)]
    command = ["unshare", "-rn", *command] if namespaced else [*command, "--loopback"]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=150,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    world: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return world


def test_no_forbidden_address_is_reached_from_content_redirects_hubs_or_rebinding(
    capsys: pytest.CaptureFixture[str],
) -> None:
    namespaced = _namespaces_allowed()
    world = _run(WORLD, namespaced)
    reports = world["reports"]
    with capsys.disabled():
        print(f"\nSSRF ({world['mode']}): connections to forbidden addresses {world['forbidden']}")
        for name, report in reports.items():
            print(f"  {name:24} {report}")
    assert set(world["forbidden"].values()) == {0}
    assert reports["public-feed"]["ok"] and reports["public-feed"]["new"] == (
        9 if namespaced else 7
    )
    for refused in ("redirect-to-private", "redirect-to-metadata", "rebinding-name"):
        assert reports[refused]["error"] == "blocked-address"
    assert reports["intranet-by-network"]["ok"] and reports["intranet-by-name"]["ok"]
    assert reports["websub-hub"]["error"] == "blocked-address"
    if namespaced:  # without a namespace there is no public address to be rebound from
        assert reports["intranet-not-listed"]["error"] == "blocked-address"
        assert len(set(world["rebind_answers"])) == 2  # the name did answer both ways
    # the intranet feed was read, but no link found in it reached the intranet host
    assert "/internal-article" not in world["intranet_hits"]
    assert world["intranet_hits"].count("/feed.xml") == 2


@pytest.mark.timeout(180)
def test_site_crawls_keep_the_allow_list_on_every_hop_and_connect_where_they_checked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Scrapy: the intranet site its source may reach is crawled; its links, redirects, meta
    refresh, sitemap, feed and robots.txt lead to forbidden addresses and none is reached; a
    rebinding name is looked up once and connected at the address that was checked."""
    namespaced = _namespaces_allowed()
    world = _run(CRAWL_WORLD, namespaced)
    reports = world["reports"]
    with capsys.disabled():
        print(f"\nSSRF, Scrapy ({world['mode']}): forbidden connections {world['forbidden']}")
        for name, report in reports.items():
            print(f"  {name:16} {report}")
        print(f"  lookups {world['lookups']}")
    assert set(world["forbidden"].values()) == {0}
    intranet, rebinding = reports["intranet-site"], reports["rebinding-site"]
    assert intranet["ok"] and intranet["new"] >= 2, intranet  # the allowed site is crawled
    assert "/news/2025/05/22/ots-ministers" in world["intranet_hits"]  # same-host redirect
    # four hops refused: a redirect and a meta refresh to forbidden addresses, a redirect to the
    # metadata address by name, and one to the intranet's own address under another name
    assert intranet["refused"] == 4, intranet
    assert "/news/2025/05/25/by-name" not in world["intranet_hits"]
    assert rebinding["ok"] and rebinding["new"] == 2, rebinding
    assert "/news/2025/05/28/landed" in world["public_hits"]  # redirect on the pinned host
    rebind_lookups = [answer for name, answer in world["lookups"] if name == "rebind.test"]
    assert len(rebind_lookups) == 1, world["lookups"]  # judged once, connected there


def test_allow_list_entries() -> None:
    allow = AllowList.parse(["10.0.0.0/8", "192.168.1.5", "intranet.example", "*.corp.example"])
    from ipaddress import ip_address as ip

    assert allow.permits("x", ip("10.2.3.4")) and allow.permits("x", ip("192.168.1.5"))
    assert not allow.permits("x", ip("192.168.1.6")) and not allow.permits("x", ip("127.0.0.1"))
    assert allow.permits("intranet.example", ip("172.16.0.1"))
    assert allow.permits("feeds.corp.example", ip("172.16.0.1"))
    assert not allow.permits("corp.example.evil", ip("172.16.0.1"))
    assert not allow.permits("notintranet.example", ip("172.16.0.1"))
    assert AllowList().permits("anything", ip("93.184.0.10"))  # public is always allowed
    with pytest.raises(ValueError, match="neither a network"):
        AllowList.parse(["http://10.0.0.1/"])


def test_a_crawl_reaches_with_its_own_list_only_on_its_own_hosts() -> None:
    from ipaddress import ip_address as ip

    source = Source("s", "http://Intranet.Test:8080/", "site",
                    site=SiteRules(start_urls=("http://[fd00::5]/news",)),
                    allow_private=AllowList.parse(["10.9.9.9", "fd00::/8"]))  # fmt: skip
    reach = crawl_reach(source, AllowList.parse(["192.168.0.0/16"]))
    assert reach.for_host("intranet.test").permits("intranet.test", ip("10.9.9.9"))
    assert reach.for_host("fd00::5").permits("fd00::5", ip("fd00::5"))
    assert not reach.for_host("other.test").permits("other.test", ip("10.9.9.9"))
    assert reach.for_host("other.test").permits("other.test", ip("192.168.1.1"))  # common
