"""SIMULATION ONLY: a device simulator for scale measurements (benchmark B14).

Answers the collector's NAPALM getters for thousands of switches from recorded lab
outputs with each switch's intent-derived names and addresses, with per-call
latency like a real switch. Reached through the NAPALM driver ``fgsim``
(``napalm_fgsim``). Harness code: nothing in the product imports it, and it never
stands in for the lab in functional tests.
"""
