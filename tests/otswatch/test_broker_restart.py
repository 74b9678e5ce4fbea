"""RabbitMQ restarted under load: nothing lost, nothing done twice.

The broker here is a RabbitMQ node of the test's own (tests/fakes/rabbitmq.PrivateNode: its own
port and data directory), stopped and started for real, because restarting the machine's
shared broker would cut off everyone else using it. Its data directory is kept across the
restart, as a real deployment keeps its volume: durable queues and persistent messages survive.
While it is down, sources are added (SIGHUP), so the daemon must also hold polls it cannot
publish and publish them when the broker is back.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.fakes.config import feed_source, write_config
from tests.fakes.farm import Farm
from tests.fakes.rabbitmq import PrivateNode
from tests.otswatch.scale import Cluster, wait_for

# ~40 s on a quiet 2-core machine; the limit leaves room for a machine shared with other jobs
pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq, pytest.mark.timeout(480)]

SETTINGS = "allow_private_networks: true\nfetch_timeout: 5s\ncrawl_timeout: 60s\n"


def sources_yaml(farm: Farm, count: int) -> str:
    return "sources:\n" + "".join(
        feed_source(spec.name, spec.url, interval="1h") for spec in farm.specs[:count]
    )


def test_a_broker_restart_under_load_loses_nothing_and_repeats_nothing(
    tmp_path: Path, postgres_url: str, private_broker: PrivateNode
) -> None:
    # 0.4 s an answer: the 75-odd polls left when the node is told to stop need 15 s or more
    # from two worker processes, longer than rabbitmqctl takes to stop a node on a loaded
    # machine, so the restart happens under load by construction, not by timing luck
    with Farm(feeds=100, hosts=10, latency=0.4, first_host=61) as farm:
        config = write_config(
            tmp_path / "config", sources=sources_yaml(farm, 80), settings=SETTINGS
        )
        cluster = Cluster(tmp_path, config, postgres_url, private_broker.url)
        try:
            cluster.start("daemon", "run")
            cluster.wait_log("daemon", "otswatch running", timeout=120)
            cluster.start("worker", "worker", "--concurrency", "2")

            def done() -> int:
                return int(
                    cluster.query("SELECT count(*) FROM poll_runs WHERE state = 'done'")[0][0]
                )

            wait_for(lambda: done() >= 5, 120, "the first polls", cluster)
            private_broker.stop()  # under load: most of the 80 polls are still queued
            at_stop = done()
            print(f"polls done when the broker stopped: {at_stop} of 80")
            (config / "sources.yaml").write_text(sources_yaml(farm, 100))
            cluster.processes["daemon"].send_signal(signal.SIGHUP)
            cluster.wait_log("daemon", "config reloaded")
            cluster.wait_log("daemon", "broker unreachable")
            unpublished = cluster.query(
                "SELECT count(*) FROM poll_runs WHERE published_at IS NULL"
            )[0][0]
            private_broker.start()
            wait_for(lambda: done() == 100, 300, "all 100 polls after the restart", cluster)
        finally:
            codes = cluster.stop_all()
        hits = farm.feed_hits()
    logs = cluster.logs()
    assert codes == {"daemon": 0, "worker": 0}, logs
    assert at_stop < 80, "the restart came too late to be under load"
    assert unpublished >= 20, unpublished  # the added sources waited for the broker
    assert "broker reachable again" in cluster.log("daemon")
    assert set(hits.values()) == {1}, {n: h for n, h in hits.items() if h != 1}
    urls = [u for (u,) in cluster.query("SELECT url FROM items")]
    assert len(urls) == len(set(urls)) == 100 * farm.items_per_feed
    runs = cluster.query("SELECT state, count(*) FROM poll_runs GROUP BY state")
    assert runs == [("done", 100)], runs
