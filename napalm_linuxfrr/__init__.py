"""NAPALM driver for Linux/FRR switches: ``napalm.get_network_driver("linuxfrr")``."""

from napalm_linuxfrr.driver import LinuxFrrDriver

__all__ = ["LinuxFrrDriver"]
