"""The suppression and release policy every results table follows, defined once.

`analysis` applies the same threshold (its ``min_n`` defaults to 10); these are the survey's.
"""

MIN_N = 10  # no figure from fewer pupils is shown
RELEASE_MIN_NEW = 10  # new complete responses before a school's figures change (a floor, never lower)

# The one label of every hidden cell on pages, charts, downloads and release items (RELEASES.md).
HIDDEN = "hidden to protect pupils"
