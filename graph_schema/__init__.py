"""Graph schema: labels, relationship types, constraints, indexes and migrations."""

from graph_schema.labels import Label, Rel
from graph_schema.migrations import GRAPH_VERSION, MIGRATIONS, Migration

__all__ = ["GRAPH_VERSION", "MIGRATIONS", "Label", "Migration", "Rel"]
