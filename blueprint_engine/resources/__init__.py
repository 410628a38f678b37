"""Resource pools: deterministic allocation (pure) and pools managed from outside."""
