"""The design catalogue: entries from YAML and the API, their checks and references."""
