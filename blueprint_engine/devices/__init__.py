"""Managed devices: the lifecycle table, their state in the graph, reconcile decisions."""
