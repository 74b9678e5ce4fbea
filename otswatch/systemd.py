"""systemd's notify protocol: READY/RELOADING/STOPPING and the watchdog, when run as a unit.

Switched off by itself outside systemd (no NOTIFY_SOCKET). Written by hand because the protocol
is one datagram per state (sd_notify(3)), while python-systemd needs libsystemd headers to build
and the `sdnotify` package has no watchdog support; this is the whole of what a daemon needs.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Mapping

log = logging.getLogger(__name__)


def _address(environ: Mapping[str, str]) -> str | None:
    path = environ.get("NOTIFY_SOCKET", "")
    if not path:
        return None
    if path.startswith("@"):  # an abstract socket: Linux spells it with a leading NUL
        return "\0" + path[1:]
    return path


def notify(state: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send one state line (e.g. "READY=1"); False when not under systemd or it cannot be sent.

    A failed notification is logged and never raised: systemd's bookkeeping must not stop the
    monitor (under Type=notify a missing READY makes systemd give up on the unit anyway)."""
    address = _address(os.environ if environ is None else environ)
    if address is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
    except OSError as exc:
        log.warning("cannot tell systemd %r via NOTIFY_SOCKET: %s", state.split("\n")[0], exc)
        return False
    return True


def ready(status: str) -> bool:
    return notify(f"READY=1\nSTATUS={status}")


def reloading() -> bool:
    # MONOTONIC_USEC lets systemd >= 253 (Type=notify-reload) match the reload to the signal.
    return notify(f"RELOADING=1\nMONOTONIC_USEC={time.monotonic_ns() // 1000}")


def stopping() -> bool:
    return notify("STOPPING=1")


def watchdog_interval(environ: Mapping[str, str] | None = None) -> float | None:
    """Seconds between pings (half of WatchdogSec), or None when systemd set no watchdog."""
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 1_000_000 / 2


async def keep_watchdog_fed(interval: float) -> None:
    """Ping while the event loop turns: a loop blocked by a hung call stops the pings, and
    systemd restarts the unit (Restart=on-failure). Hung jobs that leave the loop free are the
    readiness check's business, not this one's."""
    while True:
        notify("WATCHDOG=1")
        await asyncio.sleep(interval)
