"""Scripted name resolution for a crawl child process (test only), loaded by Python's `site`
when this directory is on PYTHONPATH and OTSWATCH_SCRIPTED_DNS names a JSON file.

The network namespace of tests/faults/ssrf_crawl_world.py has no DNS. Both of libc's entry
points are replaced, getaddrinfo and gethostbyname, so that any resolver a crawl might use
(asyncio's, Twisted's threaded one) gets the script: a name listed with several answers gives
them in turn (a rebinding name: public to the first look, private next). Every answer is
appended to the file named by OTSWATCH_SCRIPTED_DNS_LOG.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
from typing import Any

_SCRIPT = os.environ.get("OTSWATCH_SCRIPTED_DNS")

if _SCRIPT:
    with open(_SCRIPT, encoding="utf-8") as handle:
        _ANSWERS = {name: itertools.cycle(answers) for name, answers in json.load(handle).items()}
    _LOG = os.environ.get("OTSWATCH_SCRIPTED_DNS_LOG", os.devnull)
    _real_getaddrinfo = socket.getaddrinfo

    def _answer(name: str) -> str | None:
        if name not in _ANSWERS:
            return None
        address = str(next(_ANSWERS[name]))
        with open(_LOG, "a", encoding="utf-8") as log:
            log.write(f"{name} {address}\n")
        return address

    def _getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        address = _answer(name)
        if address is None:
            return _real_getaddrinfo(host, port, *args, **kwargs)  # IP literals
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, int(port or 0)))]

    def _gethostbyname(name: str) -> str:
        address = _answer(name)
        if address is None:
            return str(_real_getaddrinfo(name, 0, socket.AF_INET)[0][4][0])
        return address

    socket.getaddrinfo = _getaddrinfo
    socket.gethostbyname = _gethostbyname
