"""Schemathesis against minik8s's own OpenAPI v3 documents, every built-in group-version.

schemathesis loads the served documents as they are (no pre-processing needed) and
turns each operation into a hypothesis strategy; one bounded, derandomized
hypothesis run draws an operation, then a request for it, steered half the time
towards existing namespaces and well-formed object envelopes so that requests get
past routing into defaulting, admission and validation. Every answer must pass
``check_answer``, and the server must answer normally afterwards.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from reliability_support import check_answer, healthy

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

#: no explain phase: it imports libcst, whose mypy_extensions import warns (warnings are errors)
PHASES = (Phase.explicit, Phase.generate, Phase.shrink)
EXAMPLES = 600
HEAVY_EXAMPLES = 5000
SPOKEN = ("application/json", "application/yaml", "application/apply-patch+yaml",
          "application/json-patch+json", "application/merge-patch+json",
          "application/strategic-merge-patch+json")
NAMES = st.sampled_from(["default", "kube-system", "fuzz", "x", "a.b", "kubernetes"])


@pytest.fixture(scope="module")
def operations(base: str) -> list[Any]:
    index = requests.get(base + "/openapi/v3", timeout=10).json()
    assert len(index["paths"]) >= 15
    ops = []
    for gv in sorted(index["paths"]):
        doc = requests.get(f"{base}/openapi/v3/{gv}", timeout=10).json()
        schema = schemathesis.openapi.from_dict(doc)
        for result in schema.get_all_operations():
            ops.append(result.ok())
    return ops


def _steer(case: Any, draw: Any) -> None:
    """Bias a generated request towards ones the server gets deep into."""
    for p in ("namespace", "name"):
        if p in (case.path_parameters or {}) and draw(st.booleans()):
            case.path_parameters[p] = draw(NAMES)
    body = case.body
    if isinstance(body, dict) and draw(st.booleans()):
        # the envelope the URL asks for: the request reaches defaulting and validation
        parts = case.operation.path.strip("/").split("/")
        group_version = parts[1] if parts[0] == "api" else f"{parts[1]}/{parts[2]}"
        body["apiVersion"] = group_version
        body.pop("kind", None)
        md = body.get("metadata")
        if not isinstance(md, dict):
            md = body["metadata"] = {}
        md["name"] = (case.path_parameters or {}).get("name") or draw(NAMES)
        md.pop("namespace", None)
        md.pop("resourceVersion", None)
    if case.body is not None and getattr(case, "media_type", None) not in SPOKEN \
            and draw(st.integers(0, 3)):
        # the documents say */* (as the real ones do), so schemathesis picks any media
        # type; clients send JSON (or YAML, protobuf)
        case.media_type = "application/json"
    if case.headers:  # HTTP clients refuse control characters in headers (injection)
        case.headers = {k: v for k, v in case.headers.items()
                        if isinstance(v, str) and v.isprintable() and v.isascii()}
    q = case.query
    if q is not None and "watch" in q:
        q["timeoutSeconds"] = "-1"  # the watch is set up and answered, then ends (0 means the default)


def _run(base: str, operations: list[Any], data: Any) -> None:
    op = data.draw(st.sampled_from(operations))
    case = data.draw(op.as_strategy())
    _steer(case, data.draw)
    resp = case.call(base_url=base, timeout=20)
    check_answer(resp, f"{case.method} {case.formatted_path} {case.query} {str(case.body)[:200]}")


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck), phases=PHASES)
@given(data=st.data())
def test_every_openapi_operation_answers_a_status_never_a_500(base: str, operations: list[Any],
                                                                data: Any) -> None:
    _run(base, operations, data)


@pytest.mark.fuzz_heavy
@settings(max_examples=HEAVY_EXAMPLES, deadline=None, database=None,
          suppress_health_check=list(HealthCheck), phases=PHASES)
@given(data=st.data())
def test_openapi_heavy(base: str, operations: list[Any], data: Any) -> None:
    _run(base, operations, data)


def test_the_server_answers_normally_after_the_fuzzing(base: str) -> None:
    healthy(base)
