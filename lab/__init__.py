"""The virtual lab: one network namespace per device, veth cables, FRR and lldpd.

Public API: ``Lab(state_dir).up(topology)``, ``.down()``, ``.status()``, the fault
methods (``cable_cut``, ``transceiver_fail``, ``device_offline``, ``oob_change``,
``swap_cables``, ``server_down``, ``daemon_kill``, ``plug_unused``),
``.repair()``/``.repair_all()``, and ``.napalm_optional_args(node)`` for the ``linuxfrr``
NAPALM driver.
"""

from lab.lab import Lab, load_topology

__all__ = ["Lab", "load_topology"]
