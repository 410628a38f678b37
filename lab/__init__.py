"""The virtual lab: one network namespace per device, veth cables, FRR and lldpd."""
