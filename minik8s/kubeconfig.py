"""Kubeconfig files: a standalone one, or a ``minik8s`` entry merged into the user's.

Merging behaves like kind: cluster, user and context named ``minik8s`` are
added or replaced, ``current-context`` is set, nothing else is touched.
"""

from __future__ import annotations

import base64
import os
from typing import Any

import yaml

NAME = "minik8s"


def entries(url: str, name: str = NAME, *, token: str | None = None,
            ca_pem: bytes | None = None) -> dict[str, Any]:
    """The cluster, user and context entries; with auth on, the admin ``token`` and (with
    TLS) the CA that signed the serving certificate."""
    cluster: dict[str, Any] = {"server": url}
    if ca_pem:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    return {
        "cluster": {"name": name, "cluster": cluster},
        "user": {"name": name, "user": {"token": token} if token else {}},
        "context": {"name": name, "context": {"cluster": name, "user": name}},
    }


def standalone(url: str, name: str = NAME, *, token: str | None = None,
               ca_pem: bytes | None = None) -> dict[str, Any]:
    e = entries(url, name, token=token, ca_pem=ca_pem)
    return {"apiVersion": "v1", "kind": "Config", "preferences": {},
            "clusters": [e["cluster"]], "users": [e["user"]], "contexts": [e["context"]],
            "current-context": name}


def write_standalone(path: str, url: str, name: str = NAME, *, token: str | None = None,
                     ca_pem: bytes | None = None) -> None:
    _write(path, standalone(url, name, token=token, ca_pem=ca_pem))


def default_path() -> str:
    env = os.environ.get("KUBECONFIG", "")
    if env:
        return env.split(os.pathsep)[0]
    return os.path.join(os.path.expanduser("~"), ".kube", "config")


def merge_into(path: str, url: str, name: str = NAME, *, token: str | None = None,
               ca_pem: bytes | None = None) -> None:
    cfg: dict[str, Any] = {}
    if os.path.exists(path):
        with open(path) as f:
            cfg = yaml.safe_load(f) or {}
    cfg.setdefault("apiVersion", "v1")
    cfg.setdefault("kind", "Config")
    cfg.setdefault("preferences", {})
    e = entries(url, name, token=token, ca_pem=ca_pem)
    for section, item in (("clusters", e["cluster"]), ("users", e["user"]), ("contexts", e["context"])):
        lst = [x for x in (cfg.get(section) or []) if x.get("name") != name]
        lst.append(item)
        cfg[section] = lst
    cfg["current-context"] = name
    _write(path, cfg)


def _write(path: str, cfg: dict[str, Any]) -> None:
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        yaml.safe_dump(cfg, f, sort_keys=False)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
