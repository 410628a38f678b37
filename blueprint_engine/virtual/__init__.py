"""The virtual layer: hypervisors, VMs and vNICs reported by virtualization sources."""
