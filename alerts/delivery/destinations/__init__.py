"""Delivery destinations: each takes a Digest and returns an ack or raises DeliveryError."""

from alerts.delivery.destinations.base import (
    DeliveryError,
    Destination,
    PermanentDeliveryError,
    RateLimitedError,
    TemporaryDeliveryError,
)
from alerts.delivery.destinations.console import ConsoleDestination
from alerts.delivery.destinations.slack import SlackDestination
from alerts.delivery.destinations.smtp import SmtpDestination, SmtpSettings
from alerts.delivery.destinations.webhook import WebhookDestination

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
