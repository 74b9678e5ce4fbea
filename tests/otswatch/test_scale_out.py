"""Scale-out on the real services: one daemon and two Celery workers on RabbitMQ and
PostgreSQL, over a local farm of 200 feeds on 20 hosts and one site.

Every due poll is done once, every item stored once, every alert delivered once; a worker
killed with SIGKILL in the middle of the site crawl has that task redelivered to the other
worker, which finishes it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.normalize import canonical_url
from otswatch.demo.servers import WebhookSink
from tests.crawler.site.generate import build_site
from tests.fakes.config import feed_source, write_config
from tests.fakes.farm import Farm
from tests.otswatch.scale import Cluster, wait_for

# ~50 s on a quiet 2-core machine; the limit leaves room for a machine shared with other jobs
pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq, pytest.mark.timeout(480)]

SETTINGS = (
    "allow_private_networks: true\nclassify_every: 5s\nfetch_timeout: 5s\ncrawl_timeout: 120s\n"
)
DESTINATIONS = (
    "destinations:\n  - {name: desk, type: webhook, url_env: OTSWATCH_DESK_URL}\n"
    "routes:\n  - name: ots\n    watches: [ots]\n    destinations: [desk]\n"
    "    instant: core\n    instant_min_score: 0.5\n"
)


def farm_config(directory: Path, farm: Farm) -> Path:
    sources = "sources:\n" + "".join(
        feed_source(spec.name, spec.url, interval="1h") for spec in farm.specs
    )
    sources += f"  - {{name: caspian-ledger, url: '{farm.site_url}', type: site, interval: 1h, "
    sources += "site: {max_pages: 14, use_sitemaps: false}}\n"
    return write_config(directory, sources=sources, destinations=DESTINATIONS, settings=SETTINGS)


def test_two_workers_do_every_poll_once_and_survive_a_killed_worker(
    tmp_path: Path, postgres_url: str, broker_url: str
) -> None:
    site_root = tmp_path / "site"
    with Farm(feeds=200, hosts=20, site_root=site_root, site_delay=0.2) as farm:
        assert farm.site_url is not None
        site_url = farm.site_url
        articles = [a for a in build_site(site_root, "beta", farm.site_url) if not a.forbidden]
        config = farm_config(tmp_path / "config", farm)
        with WebhookSink() as desk:
            cluster = Cluster(
                tmp_path, config, postgres_url, broker_url, env={"OTSWATCH_DESK_URL": desk.url}
            )
            try:
                cluster.start("daemon", "run")
                cluster.wait_log("daemon", "otswatch running", timeout=120)
                for name in ("worker-a", "worker-b"):
                    cluster.start(name, "worker", "--concurrency", "2")
                for name in ("worker-a", "worker-b"):
                    cluster.wait_worker_ready(name)

                # the site is published first (sites before feeds); kill whoever crawls it
                def crawl_under_way() -> bool:
                    hits = farm.site_hits()
                    return sum(hits.get(a.path, 0) for a in articles) >= 3

                wait_for(crawl_under_way, 180, "the site crawl to be under way", cluster)
                [(holder,)] = cluster.query(
                    "SELECT worker FROM poll_runs WHERE source = 'caspian-ledger'"
                )
                pids = {n: cluster.processes[n].pid for n in ("worker-a", "worker-b")}
                [killed] = [n for n, pid in pids.items() if holder.startswith(f"otswatch-{pid}@")]
                [survivor] = [n for n in pids if n != killed]
                cluster.kill(killed)

                def all_done() -> bool:
                    rows = cluster.query("SELECT count(*) FROM poll_runs WHERE state = 'done'")
                    return rows[0][0] == 201

                wait_for(all_done, 300, "all 201 polls to be done", cluster)
                wait_for(
                    lambda: (
                        not cluster.query(
                            "SELECT 1 FROM items i LEFT JOIN classifications c ON c.item_id = i.id "
                            "WHERE c.item_id IS NULL LIMIT 1"
                        )
                    ),
                    90,
                    "every stored item to be classified",
                    cluster,
                )
                wait_for(
                    lambda: (
                        not cluster.query("SELECT 1 FROM deliveries WHERE status <> 'sent' LIMIT 1")
                        and bool(cluster.query("SELECT 1 FROM deliveries LIMIT 1"))
                    ),
                    90,
                    "the instant alerts to be sent",
                    cluster,
                )
            finally:
                codes = cluster.stop_all()
            posts = list(desk.received)

        runs = cluster.query("SELECT source, state, attempts, worker FROM poll_runs")
        feed_hits = farm.feed_hits()
    logs = cluster.logs()
    assert codes["daemon"] == 0 and codes[survivor] == 0, logs

    # every due poll done once: one run per source, each finished
    assert len(runs) == 201 and {r[1] for r in runs} == {"done"}, runs
    by_source = {r[0]: r for r in runs}
    site_run = by_source["caspian-ledger"]
    assert site_run[2] == 2, site_run  # started on one, redelivered to the other
    assert site_run[3].startswith(f"otswatch-{pids[survivor]}@")
    # a feed is fetched again only when its task was in flight on the killed worker
    refetched = {name for name, hits in feed_hits.items() if hits != 1}
    assert all(feed_hits.values()), [n for n, h in feed_hits.items() if not h]
    assert refetched <= {name for name, r in by_source.items() if r[2] > 1}, refetched
    assert len(refetched) <= 2  # worker-a had two pool processes

    # every item stored once
    stored = cluster.query("SELECT url, source FROM items")
    urls = [u for u, _ in stored]
    assert len(urls) == len(set(urls))
    expected_feed_urls = {u for spec in farm.specs for u in spec.item_urls}
    assert {u for u, s in stored if s != "caspian-ledger"} == expected_feed_urls
    site_items = [u for u, s in stored if s == "caspian-ledger"]
    titles = {canonical_url(a.url(site_url)): a.title for a in articles}
    assert len(site_items) >= 3 and set(site_items) <= set(titles)
    # the same article under two URLs would be stored twice: titles are unique too
    assert len({titles[u] for u in site_items}) == len(site_items)

    # every alert delivered once: one POST per delivery, no OTS story in two posts
    deliveries = cluster.query("SELECT key, status FROM deliveries")
    assert len(posts) == len(deliveries) >= 4, (posts, deliveries)
    ots_urls = {u for spec in farm.specs for u in spec.ots_urls}
    told = [u for post in posts for u in ots_urls if u in json.dumps(post.json)]
    assert len(told) == len(set(told)) and set(told) <= ots_urls
