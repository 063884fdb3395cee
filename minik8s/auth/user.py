"""Who is asking: ``UserInfo`` and the well-known users and groups.

Names follow k8s.io/apiserver's ``authentication/user`` and
``authentication/serviceaccount`` packages. Pure; no I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

ANONYMOUS = "system:anonymous"
ALL_AUTHENTICATED = "system:authenticated"
ALL_UNAUTHENTICATED = "system:unauthenticated"
#: members can do anything, whatever the authorizer says (kube-apiserver's superuser group)
PRIVILEGED_GROUP = "system:masters"
SA_PREFIX = "system:serviceaccount:"
SA_GROUP = "system:serviceaccounts"
#: the in-process client (controllers, bootstrap) is the apiserver's own loopback identity
LOOPBACK = "system:apiserver"
#: kubectl's admin identity in the kubeconfig ``minik8s serve`` writes when auth is on
ADMIN = "kubernetes-admin"


@dataclasses.dataclass(frozen=True)
class UserInfo:
    """An authenticated (or anonymous) identity; hashable on name, uid and groups."""

    name: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    #: extra attributes (key → values); not part of equality or the hash
    extra: Mapping[str, tuple[str, ...]] = dataclasses.field(
        default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """authentication.k8s.io/v1 UserInfo (empty fields omitted, as the real server does)."""
        out: dict[str, Any] = {"username": self.name}
        if self.uid:
            out["uid"] = self.uid
        if self.groups:
            out["groups"] = list(self.groups)
        if self.extra:
            out["extra"] = {k: list(v) for k, v in self.extra.items()}
        return out


LOOPBACK_USER = UserInfo(LOOPBACK, groups=(PRIVILEGED_GROUP, ALL_AUTHENTICATED))
ANONYMOUS_USER = UserInfo(ANONYMOUS, groups=(ALL_UNAUTHENTICATED,))


def sa_username(namespace: str, name: str) -> str:
    return f"{SA_PREFIX}{namespace}:{name}"


def split_sa_username(username: str) -> tuple[str, str] | None:
    """``system:serviceaccount:<ns>:<name>`` → (ns, name); anything else → None."""
    if not username.startswith(SA_PREFIX):
        return None
    parts = username[len(SA_PREFIX):].split(":")
    if len(parts) != 2 or not parts[0] or not parts[1]:
        return None
    return parts[0], parts[1]


def sa_groups(namespace: str) -> tuple[str, str]:
    return SA_GROUP, f"{SA_GROUP}:{namespace}"


def with_authenticated(groups: tuple[str, ...]) -> tuple[str, ...]:
    """What the authenticated-group adder does: every authenticated user is in the group."""
    return groups if ALL_AUTHENTICATED in groups else (*groups, ALL_AUTHENTICATED)
