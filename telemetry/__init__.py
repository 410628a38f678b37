"""Telemetry: observations written back to the graph, intent-derived anomalies,
root causes by traversal (see docs/telemetry-model.md)."""
