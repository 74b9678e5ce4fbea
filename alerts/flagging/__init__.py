"""Turning stored items into flags: classification of what the crawler stored (exactly once per
watch-list version), backtests of an edited watch-list, and the alerting tables."""
