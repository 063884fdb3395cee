"""minik8s.registry"""
