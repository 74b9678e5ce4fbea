"""Scale-out on Celery and RabbitMQ: the daemon publishes one task per due poll, workers run it.

Without OTSWATCH_BROKER_URL nothing here is imported and the daemon polls in its own process.
With it, the same functions (`otswatch.cycle.poll`, the classifier pass) run as Celery tasks;
PostgreSQL stays the seam: poll runs (the idempotency keys), host locks, items, flags, outbox.
"""
