"""The stages of one cycle, each joining config, a stage package and the state store.

`cycle.py` holds their order: scan -> evaluate -> mirror -> automate.
"""
