"""The demo's last step: the web page on the demo's own data, until Ctrl-C.

Interactive runs serve until interrupted; when standard input is not a terminal (a script, CI)
the page is served for a bounded time, so `make demo` never hangs an unattended run.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from otswatch.app import App
from otswatch.web.application import build_web_app
from otswatch.web.server import serve

UNATTENDED_SECONDS = 20.0


async def serve_demo_page(app: App, address: str, seconds: float | None) -> str:
    """Serve until Ctrl-C/SIGTERM or `seconds`; returns the address it listened on."""
    web = build_web_app(app, environ=os.environ)  # OTSWATCH_WEB_* from the user's environment
    try:
        server = await serve(web, address)
    except OSError as exc:
        print(f"web page: {address} is busy ({exc.strerror}); using a free port instead")
        server = await serve(web, "127.0.0.1:0")
    if seconds is None and not sys.stdin.isatty():
        seconds = UNATTENDED_SECONDS
    limit = "Ctrl-C to stop" if seconds is None else f"for {seconds:.0f}s, not a terminal"
    print(f"web page     http://{server.address}/flags  ({limit})", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        server.close()
        await server.wait_closed()
    return server.address
