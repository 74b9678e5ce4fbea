"""Local servers for the offline demo and for tests: a replay news site, an SMTP sink and a
webhook sink.

Each one binds 127.0.0.1 on a free port and runs in its own thread, so it works the same
whether or not the caller runs an asyncio loop, and each is a context manager. They exist so
that the demo and the tests exercise real HTTP and SMTP traffic without touching the network.
The shared base is in local.py, the site in replay.py, the receivers in sinks.py.
"""

from otswatch.demo.local import free_port
from otswatch.demo.replay import ReplaySite, content_type_for
from otswatch.demo.sinks import CannedResponse, ReceivedMail, ReceivedPost, SmtpSink, WebhookSink

__all__ = [
    "CannedResponse",
    "ReceivedMail",
    "ReceivedPost",
    "ReplaySite",
    "SmtpSink",
    "WebhookSink",
    "content_type_for",
    "free_port",
]
