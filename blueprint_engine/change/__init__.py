"""Staged edits, build errors, commits, revisions and rollback."""
