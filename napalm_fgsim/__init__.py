"""SIMULATION: the NAPALM driver of simulated switches, ``napalm.get_network_driver("fgsim")``.

Its connection goes over TCP to the device simulator (``python -m simulator serve``);
a device registered with driver ``fgsim`` is collected and pushed like any other
platform. Never used for the lab or in functional tests.
"""

from napalm_fgsim.driver import FgsimDriver

__all__ = ["FgsimDriver"]
