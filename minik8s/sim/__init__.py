"""minik8s.sim: the simulated kubelet.

``kubelet.setup`` wires it into a cluster: one node agent per Node
(``node_agent``: registration, conditions, heartbeats, Leases) and the pod
lifecycle, driven by the YAML stages in ``sim/stages/`` (``stages``: the engine;
``podstatus``: the kubelet's status rules). ``refs`` does the reference checks
a real kubelet does before it mounts volumes and creates containers, ``ips``
hands out pod IPs from each node's podCIDR and ``logs`` answers ``pods/log``.
See docs/simulation.md.
"""
