"""Benchmark harnesses: pure functions that return their figures as dicts."""
