"""Starlette app, Strawberry GraphQL schema, REST routes and the CLI."""
