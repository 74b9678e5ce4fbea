"""What is out there: sources, fetching, extraction, normalization and the item store.

Topic-agnostic: nothing in this package knows about watches or destinations.
"""
