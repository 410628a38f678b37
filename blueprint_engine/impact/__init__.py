"""Impact analysis by traversal: what depends on an element, before anything fails."""
