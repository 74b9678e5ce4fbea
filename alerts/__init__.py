"""What matters and who hears it: `matching` decides, `flagging` records, `delivery` sends.

Reads items only through the crawler's public store interface; never writes crawler tables.
"""
