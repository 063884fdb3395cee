"""minik8s.aio"""
