"""minik8s: an in-memory Kubernetes control plane that speaks the real REST API."""

__version__ = "0.1.0"
