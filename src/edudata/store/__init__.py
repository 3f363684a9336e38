"""Governed store (C3): each catalogued dataset in a real, typed table with its version history.

Only the data path (``edudata.access.datapath``) may touch these tables; ``store.guard`` enforces it.
"""
