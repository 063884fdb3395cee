"""minik8s.client"""
