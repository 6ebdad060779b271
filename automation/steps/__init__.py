"""The stages of one cycle, each joining config, a stage package and the state store.

`reconcile.py` runs them in order: scan -> evaluate -> automate.
"""
