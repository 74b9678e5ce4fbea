"""What matters and who hears it: watches, classification, digests and delivery.

Reads items only through the crawler's public store interface; never writes crawler tables.
"""
