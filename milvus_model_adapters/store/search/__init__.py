"""Searching a store: the options (one validated value), fusion, assembly of hits, MMR, relevance, the runner."""
