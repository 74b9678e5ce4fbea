"""Delivery destinations: each takes a Digest and returns an ack or raises DeliveryError."""

from alerts.destinations.base import (
    DeliveryError,
    Destination,
    PermanentDeliveryError,
    RateLimitedError,
    TemporaryDeliveryError,
)
from alerts.destinations.console import ConsoleDestination
from alerts.destinations.slack import SlackDestination
from alerts.destinations.smtp import SmtpDestination, SmtpSettings
from alerts.destinations.webhook import WebhookDestination

__all__ = [
    "ConsoleDestination",
    "DeliveryError",
    "Destination",
    "PermanentDeliveryError",
    "RateLimitedError",
    "SlackDestination",
    "SmtpDestination",
    "SmtpSettings",
    "TemporaryDeliveryError",
    "WebhookDestination",
]
