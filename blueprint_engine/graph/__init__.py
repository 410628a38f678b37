"""Graph access: the Neo4j gateway (named, timed, retried statements) and migrations."""
