"""minik8s.api"""
