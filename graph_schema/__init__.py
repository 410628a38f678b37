"""Graph schema: labels, relationship types, constraints, indexes and migrations."""
