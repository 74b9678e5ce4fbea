"""Getting flags to people: routes, events, digests, rendering, the outbox and destinations."""
