"""The lab harness: drives the product against the virtual lab (the lab's device agents,
the rollout of a blueprint onto it, fixture recorders). It sits above everything it
drives (workers, telemetry, the engine, lab); nothing in the product imports it."""
