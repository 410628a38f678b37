"""User-defined probes: a scope over intent, an observed field, a processor chain and
the anomaly it raises (``model``), evaluated on every ingest (``evaluate``)."""
