"""minik8s.metrics: emulated resource usage and the metrics.k8s.io API."""
