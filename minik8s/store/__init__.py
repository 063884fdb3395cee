"""minik8s.store"""
