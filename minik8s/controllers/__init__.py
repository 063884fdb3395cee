"""minik8s.controllers: one module per controller, each a level-triggered reconcile."""
