"""The domain: catalogue, blueprints, resources, revisions, lifecycle, anomalies."""
