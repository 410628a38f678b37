"""Benchmarks for PRODUCT.md §9: each prints its figures and writes bench/results/<id>.json."""
