"""The stable identity of one delivery, and of the process that holds its lease.

Delivery is at least once: a process killed after a receiver accepted a message and before the
outbox recorded it as sent sends it again on restart. The identity is derived from the outbox
key (destination + delivery key, never the row id or the clock), so the second copy carries the
same Message-ID / Idempotency-Key as the first and a receiver that deduplicates drops it.
"""

from __future__ import annotations

import hashlib
import os
import socket
import uuid

IDENTITY_PREFIX = "otsw-"


def delivery_identity(destination: str, key: str) -> str:
    """Same input, same identity, in every process and on every attempt."""
    digest = hashlib.sha256(f"{destination}\n{key}".encode()).hexdigest()
    return IDENTITY_PREFIX + digest[:32]


_HOST = socket.gethostname()[:60]
_TOKEN = uuid.uuid4().hex[:12]  # tells a reused pid from the process that held the lease


def process_identity() -> str:
    """host:pid:token of this process, recorded on the leases it holds."""
    return f"{_HOST}:{os.getpid()}:{_TOKEN}"


def holder_is_dead(owner: str | None) -> bool:
    """True only when we can tell for sure: the holder ran on this host and its pid is gone.

    A holder on another host (or a reused pid) is judged by its heartbeat instead.
    """
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    pid_text, _, token = rest.partition(":")
    if host != _HOST or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return token != _TOKEN  # our pid, an earlier process (a container restarted as pid 1)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, someone else's
    return False
