"""minik8s.runtime: what controllers run on."""
