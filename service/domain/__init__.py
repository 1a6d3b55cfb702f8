"""The legal engine: pure functions from a case to its figures.

Pure: no I/O, no clock, no Flask. ``as_of`` and the rate table are passed in. See
README.md in this folder for the module map and the sources of every rule.
"""
