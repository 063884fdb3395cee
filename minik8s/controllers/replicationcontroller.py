"""ReplicationController controller: the ReplicaSet reconcile over ``v1`` ReplicationControllers.

As in kube-controller-manager, where the replication manager wraps the ReplicaSet controller
with a conversion: same pod naming, victim ranking, status and events (component
``replication-controller``). The selector is a plain label map.
"""

from __future__ import annotations

from minik8s.controllers import replicaset
from minik8s.runtime.context import ControllerContext


def setup(ctx: ControllerContext) -> None:
    replicaset.setup_kind(ctx, replicaset.REPLICATIONCONTROLLER)
