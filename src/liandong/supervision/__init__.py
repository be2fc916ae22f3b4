"""Formal supervision orders (督办): the office's supervisor orders a unit's leadership to act on
one or more late or troubled instructions and to answer in writing by a deadline."""
