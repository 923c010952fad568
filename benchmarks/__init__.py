"""Benchmarks: competitors side by side in one process, ratios printed."""
