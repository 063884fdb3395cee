"""minik8s.dns: cluster DNS served in-process (dnslib over asyncio UDP and TCP)."""
