"""Celery app, thin tasks, reconciler, device-driver adapters and telemetry."""
