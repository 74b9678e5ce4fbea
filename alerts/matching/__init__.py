"""Deciding what matters: the watch-list model, its query language, text folding, the
classifier and its explanations. Pure: no I/O, no database, no clock."""
