"""minik8s.server"""
