"""One generic golden test over the pod lifecycle stages (like KWOK's stage_test.go).

Each ``golden/<case>/input.yaml`` names a pod (and objects created before it,
cluster settings, and steps: ``advance``, ``create``, ``patch``, ``delete``,
``patchStatus``);
the pod is created bound to ``minik8s-worker`` on a virtual-clock cluster.
``output.yaml`` holds what must come out: the stages that ran (seconds after
the pod was created, container, stage), a one-line summary after each step, the pod's final
status (or null when it is gone), its events and its logs. ``UPDATE_GOLDEN=1`` rewrites the outputs.
Every stage file must run in at least one case.
"""

from __future__ import annotations

import os
import pathlib
from typing import Any

import pytest
import yaml
from simkit import cluster_config

from minik8s.cluster import Cluster
from minik8s.sim import stages
from minik8s.sim.kubelet import Kubelet

GOLDEN = pathlib.Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "input.yaml").exists())
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


async def run_case(case: dict[str, Any]) -> dict[str, Any]:
    cfg = cluster_config(**(case.get("cluster") or {}))
    if case.get("settings"):
        cfg.components["kubelet"] = case["settings"]
    async with Cluster(cfg, clock="virtual", serve=False) as c:
        kubelet: Kubelet = c.context.shared["kubelet"]
        kubelet.tracing = True
        client = c.client
        t0 = c.clock.now()
        for obj in case.get("objects") or ():
            client.create(obj)
        pod = case["pod"]
        pod.setdefault("apiVersion", "v1")
        pod.setdefault("kind", "Pod")
        pod["metadata"].setdefault("namespace", "default")
        pod["spec"]["nodeName"] = case.get("node", "minik8s-worker")
        name = pod["metadata"]["name"]
        client.create(pod)
        await c.settle()
        timeline = [summary(c.clock.now() - t0, "created", client.get_or_none("v1", "Pod", name, "default"))]
        for step in case.get("steps") or ():
            (verb, arg), = step.items()
            if verb == "advance":
                await c.advance(float(arg))
            elif verb == "create":
                client.create(arg)
            elif verb == "delete":
                client.delete("v1", "Pod", name, "default")
            elif verb == "patch":
                client.patch("v1", arg["kind"], arg["name"], arg["patch"], "default")
            elif verb == "patchStatus":
                client.patch("v1", "Pod", name, {"status": arg}, "default",
                             patch_type="application/strategic-merge-patch+json",
                             subresource="status")
            else:
                raise AssertionError(f"unknown step {verb}")
            await c.settle()
            timeline.append(summary(c.clock.now() - t0, verb,
                                    client.get_or_none("v1", "Pod", name, "default")))
        final = client.get_or_none("v1", "Pod", name, "default")
        events = sorted((e for e in client.list("v1", "Event", "default").items
                         if e["involvedObject"].get("name") == name),
                        key=lambda e: (e["firstTimestamp"], int(e["metadata"]["resourceVersion"])))
        logs: dict[str, str] = {}
        if final is not None:
            for cs in (final["status"].get("initContainerStatuses") or []) + \
                    (final["status"].get("containerStatuses") or []):
                try:
                    logs[cs["name"]] = kubelet.pod_logs("default", name, cs["name"])
                except Exception as e:  # noqa: BLE001 - the error is part of the output
                    logs[cs["name"]] = f"error: {e}"
        return {
            "stages": [f"{t - t0:g}s {target or '-'} {stage}"
                       for t, _, target, stage in kubelet.trace],
            "timeline": timeline,
            "status": None if final is None else final["status"],
            "events": [f"{e['type']} {e['reason']}: {e['message']} (x{e['count']})" for e in events],
            "logs": logs,
        }


def summary(t: float, step: str, pod: dict[str, Any] | None) -> str:
    """One line per step, like a terse ``kubectl get pod``: phase, ready, each container."""
    if pod is None:
        return f"{t:g}s {step}: gone"
    st = pod.get("status") or {}
    parts = []
    for cs in (st.get("initContainerStatuses") or []) + (st.get("containerStatuses") or []):
        (state, detail), = (cs.get("state") or {"none": {}}).items()
        why = detail.get("reason", "")
        parts.append(f"{cs['name']}={state}{f'({why})' if why else ''}"
                     f"{' ready' if cs.get('ready') else ''} restarts={cs.get('restartCount', 0)}")
    deleting = " deleting" if pod["metadata"].get("deletionTimestamp") else ""
    ready = next((f" Ready={c['status']}" for c in st.get("conditions") or ()
                  if c.get("type") == "Ready"), "")
    return f"{t:g}s {step}: {st.get('phase')}{deleting}{ready} {' '.join(parts)}".rstrip()


@pytest.mark.parametrize("name", CASES)
async def test_golden(name: str) -> None:
    case_dir = GOLDEN / name
    case = yaml.safe_load((case_dir / "input.yaml").read_text())
    got = await run_case(case)
    out = case_dir / "output.yaml"
    if UPDATE or not out.exists():
        out.write_text(yaml.safe_dump(got, sort_keys=False, width=100))
    want = yaml.safe_load(out.read_text())
    assert got == want


def test_every_stage_runs_in_some_golden_case() -> None:
    ran: set[str] = set()
    for name in CASES:
        out = GOLDEN / name / "output.yaml"
        if out.exists():
            ran |= {line.rsplit(" ", 1)[1] for line in yaml.safe_load(out.read_text())["stages"]}
    missing = sorted(s.name for s in stages.load() if s.name not in ran)
    assert missing == []


def test_stage_files_parse_and_name_known_facts() -> None:
    from minik8s.sim.facts import check_facts

    names = set()
    for st in stages.load():
        check_facts(st)
        assert st.name not in names
        names.add(st.name)


def test_a_stage_file_with_an_unknown_key_is_refused() -> None:
    with pytest.raises(stages.StageError, match="unknown keys"):
        stages.parse({"name": "x", "scope": "pod", "then": {"pod": {"explode": True}}})
