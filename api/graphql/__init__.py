"""The Strawberry GraphQL schema: queries, mutations and subscriptions."""
