"""Labs inside a User-Mode Linux kernel (lab/README.md)."""
