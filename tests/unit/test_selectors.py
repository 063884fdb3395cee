"""Label and field selectors behave, print and fail like a 1.33 kube-apiserver."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minik8s.api import errors, resources, selectors

TABLE = resources.ResourceTable(resources.builtin_resources())
QNAME_RULE = ("must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
              "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
              "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
VALUE_RULE = ("a valid label must be an empty string or consist of alphanumeric characters, '-', "
              "'_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  "
              "or 'my_value',  or '12345', regex used for validation is "
              "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
SUBDOMAIN_RULE = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                  "characters, '-' or '.', and must start and end with an alphanumeric character "
                  "(e.g. 'example.com', regex used for validation is "
                  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")


def res(key: str) -> resources.Resource:
    r = TABLE.by_key(key)
    assert r is not None
    return r


def make_pod(**status_spec: Any) -> dict[str, Any]:
    pod: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod",
                           "metadata": {"name": "web-0", "namespace": "default"},
                           "spec": {}, "status": {}}
    for path, value in status_spec.items():
        part, _, field = path.partition("_")
        pod[part][field] = value
    return pod


WEB = {"app": "web", "tier": "fe", "replicas": "3"}

# --- label selectors: matching -----------------------------------------------------------------


@pytest.mark.parametrize("text, labels, expected", [
    pytest.param("app=web", WEB, True, id="equals matches the same value"),
    pytest.param("app=api", WEB, False, id="equals rejects another value"),
    pytest.param("missing=x", WEB, False, id="equals rejects a missing key"),
    pytest.param("app==web", WEB, True, id="double equals is equals"),
    pytest.param("app!=api", WEB, True, id="not-equals matches another value"),
    pytest.param("app!=web", WEB, False, id="not-equals rejects the same value"),
    pytest.param("missing!=x", WEB, True, id="not-equals matches a missing key"),
    pytest.param("app", WEB, True, id="a bare key requires the key"),
    pytest.param("missing", WEB, False, id="a bare key rejects objects without it"),
    pytest.param("!missing", WEB, True, id="a negated key requires absence"),
    pytest.param("!app", WEB, False, id="a negated key rejects objects with it"),
    pytest.param("app in (api,web)", WEB, True, id="in matches any listed value"),
    pytest.param("app in (api,db)", WEB, False, id="in rejects unlisted values"),
    pytest.param("missing in (x)", WEB, False, id="in rejects a missing key"),
    pytest.param("app notin (api,db)", WEB, True, id="notin matches unlisted values"),
    pytest.param("app notin (web)", WEB, False, id="notin rejects a listed value"),
    pytest.param("missing notin (x)", WEB, True, id="notin matches a missing key"),
    pytest.param("app in ()", {"app": ""}, True, id="empty parentheses mean the empty value"),
    pytest.param("app=", {"app": ""}, True, id="equals with nothing after it means the empty value"),
    pytest.param("replicas>2", WEB, True, id="gt compares integers"),
    pytest.param("replicas>3", WEB, False, id="gt is strict"),
    pytest.param("replicas<4", WEB, True, id="lt compares integers"),
    pytest.param("app>1", WEB, False, id="gt never matches a non-integer label"),
    pytest.param("missing<1", WEB, False, id="lt never matches a missing key"),
    pytest.param("n>9", {"n": "10"}, True, id="gt compares numerically not lexically"),
    pytest.param("n<1", {"n": "-5"}, True, id="a signed label value still parses as an integer"),
    pytest.param("n>1", {"n": "99999999999999999999"}, False,
                 id="a label beyond int64 never matches gt"),
    pytest.param("app=web,tier=fe", WEB, True, id="commas mean and when all hold"),
    pytest.param("app=web,tier=be", WEB, False, id="commas mean and when one fails"),
    pytest.param("  app = web ,  !canary ", WEB, True, id="whitespace around tokens is ignored"),
    pytest.param("", WEB, True, id="an empty selector matches everything"),
    pytest.param("!app", None, True, id="None labels count as no labels"),
    pytest.param("app", None, False, id="None labels have no keys"),
    pytest.param("in=notin", {"in": "notin"}, True, id="keywords work as keys and values"),
])
def test_label_selector_matches(text: str, labels: dict[str, str] | None, expected: bool) -> None:
    assert selectors.parse_label_selector(text).matches(labels) is expected


# --- label selectors: canonical form -----------------------------------------------------------


@pytest.mark.parametrize("text, canonical", [
    pytest.param("b=1,a=2", "a=2,b=1", id="requirements print sorted by key"),
    pytest.param("x in (c, a,b)", "x in (a,b,c)", id="set values print sorted"),
    pytest.param("x in (a,a)", "x in (a)", id="parsed set values are de-duplicated"),
    pytest.param("x in (,a)", "x in (,a)", id="an empty set value prints as a leading comma"),
    pytest.param("a==1", "a==1", id="double equals keeps its spelling"),
    pytest.param("k > 5,!j, i", "i,!j,k>5", id="unary and gt requirements print compactly"),
    pytest.param("z,a notin (q)", "a notin (q),z", id="notin prints with spaces"),
    pytest.param("a=1,a!=2", "a=1,a!=2", id="requirements on one key keep their order"),
])
def test_label_selector_prints_like_apimachinery(text: str, canonical: str) -> None:
    assert str(selectors.parse_label_selector(text)) == canonical


def test_requirements_expose_key_operator_and_values() -> None:
    sel = selectors.parse_label_selector("b in (y,x),a,!c,d>1")
    assert sel.requirements == [("a", "exists", ()), ("b", "in", ("x", "y")),
                                ("c", "!", ()), ("d", "gt", ("1",))]


@pytest.mark.parametrize("text, pairs", [
    pytest.param("app=web,tier==fe", {"app": "web", "tier": "fe"}, id="equalities are exact"),
    pytest.param("app in (web)", {"app": "web"}, id="a single-valued in is exact"),
    pytest.param("app in (web,api)", {}, id="a multi-valued in is not exact"),
    pytest.param("app!=web,tier,!x,n>1", {}, id="negations, existence and gt are not exact"),
    pytest.param("a=1,a!=2", {"a": "1"}, id="an exact requirement counts beside others on the key"),
])
def test_label_exact_pairs(text: str, pairs: dict[str, str]) -> None:
    assert selectors.parse_label_selector(text).exact_pairs() == pairs


def test_label_selectors_are_immutable_and_hashable() -> None:
    a = selectors.parse_label_selector("app=web,tier in (fe,be)")
    b = selectors.parse_label_selector("tier in (be,fe), app=web")
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    with pytest.raises(AttributeError):
        a.matches = lambda labels: True


# --- label selectors: parse errors -------------------------------------------------------------


@pytest.mark.parametrize("text, message", [
    pytest.param("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt",
                 id="two words need an operator between them"),
    pytest.param("a in", "unable to parse requirement: found '' expected: '('",
                 id="in needs parentheses"),
    pytest.param("a in (x", "unable to parse requirement: found '', expected: ',' or ')'",
                 id="an unclosed set is rejected"),
    pytest.param("a in (", "unable to parse requirement: found '', expected: ',', ')' or identifier",
                 id="an empty unclosed set is rejected"),
    pytest.param("a in (x,,)", "unable to parse requirement: found ')', expected: ',', or identifier",
                 id="a double comma before the closing parenthesis fails as in 1.33"),
    pytest.param("a=(", "unable to parse requirement: found '(', expected: identifier",
                 id="equals needs a value word"),
    pytest.param("!", "unable to parse requirement: found '', expected: identifier",
                 id="a lone bang needs a key"),
    pytest.param("a,", "found '', expected: identifier after ','", id="a trailing comma is rejected"),
    pytest.param("a=b=c", "found '=', expected: ',' or 'end of string'",
                 id="a second operator is rejected"),
    pytest.param("!a=b", "found '=', expected: ',' or 'end of string'",
                 id="a negated key takes no value"),
    pytest.param("=a", "found '=', expected: !, identifier, or 'end of string'",
                 id="a selector cannot start with an operator"),
    pytest.param("-a", "unable to parse requirement: <nil>: Invalid value: \"-a\": name part "
                 + QNAME_RULE, id="keys must start alphanumeric"),
    pytest.param("a/b/c", "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified "
                 "name " + QNAME_RULE + " with an optional DNS subdomain prefix and '/' "
                 "(e.g. 'example.com/MyName')", id="keys have at most one slash"),
    pytest.param("/a", "unable to parse requirement: <nil>: Invalid value: \"/a\": "
                 "prefix part must be non-empty", id="a key prefix cannot be empty"),
    pytest.param("Ex.com/a", "unable to parse requirement: <nil>: Invalid value: \"Ex.com/a\": "
                 "prefix part " + SUBDOMAIN_RULE, id="a key prefix must be a lowercase subdomain"),
    pytest.param("a/", "unable to parse requirement: <nil>: Invalid value: \"a/\": "
                 "name part must be non-empty; name part " + QNAME_RULE,
                 id="an empty key name reports both rules"),
    pytest.param("k" * 64, f"unable to parse requirement: <nil>: Invalid value: \"{'k' * 64}\": "
                 "name part must be no more than 63 characters", id="key names are at most 63 long"),
    pytest.param("a=-b", "unable to parse requirement: values[0][a]: Invalid value: \"-b\": "
                 + VALUE_RULE, id="values must start alphanumeric"),
    pytest.param("a=" + "v" * 64, f"unable to parse requirement: values[0][a]: Invalid value: "
                 f"\"{'v' * 64}\": must be no more than 63 characters",
                 id="values are at most 63 long"),
    pytest.param("a>x", "unable to parse requirement: values[0]: Invalid value: \"x\": "
                 "for 'Gt', 'Lt' operators, the value must be an integer",
                 id="gt needs an integer"),
    pytest.param("a>-1x", "unable to parse requirement: [values[0]: Invalid value: \"-1x\": "
                 "for 'Gt', 'Lt' operators, the value must be an integer, values[0][a]: "
                 "Invalid value: \"-1x\": " + VALUE_RULE + "]",
                 id="several problems are reported as a bracketed list"),
    pytest.param("a=b\"c", "unable to parse requirement: values[0][a]: Invalid value: "
                 "\"b\\\"c\": " + VALUE_RULE, id="bad values are quoted the Go way"),
])
def test_label_selector_parse_errors(text: str, message: str) -> None:
    with pytest.raises(errors.BadRequest) as e:
        selectors.parse_label_selector(text)
    assert e.value.message == message
    assert e.value.code == 400


# --- metav1.LabelSelector ----------------------------------------------------------------------


def test_nil_selector_dict_matches_nothing() -> None:
    sel = selectors.label_selector_from_dict(None)
    assert sel is selectors.NOTHING and sel.is_nothing and not sel.empty
    assert not sel.matches({}) and not sel.matches(WEB) and str(sel) == ""


@pytest.mark.parametrize("sel", [
    pytest.param({}, id="an empty dict"),
    pytest.param({"matchLabels": {}, "matchExpressions": []}, id="empty lists and maps"),
    pytest.param({"matchLabels": None}, id="null members"),
])
def test_empty_selector_dict_matches_everything(sel: dict[str, Any]) -> None:
    result = selectors.label_selector_from_dict(sel)
    assert result is selectors.EVERYTHING and result.empty and result.matches(None)


def test_selector_dict_combines_labels_and_expressions() -> None:
    sel = selectors.label_selector_from_dict({
        "matchLabels": {"tier": "fe", "app": "web"},
        "matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["dev", "ci"]},
                             {"key": "canary", "operator": "DoesNotExist"},
                             {"key": "app", "operator": "Exists"},
                             {"key": "zone", "operator": "In", "values": ["b", "a"]}],
    })
    assert str(sel) == "app=web,app,!canary,env notin (ci,dev),tier=fe,zone in (a,b)"
    assert sel.matches({**WEB, "zone": "a"}) and not sel.matches(WEB)
    assert sel.exact_pairs() == {"app": "web", "tier": "fe"}


@pytest.mark.parametrize("sel, message", [
    pytest.param({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]},
                 '"Gt" is not a valid label selector operator', id="gt is not a metav1 operator"),
    pytest.param({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]},
                 "values: Invalid value: []string(nil): for 'in', 'notin' operators, "
                 "values set can't be empty", id="in needs values"),
    pytest.param({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x", "y"]}]},
                 'values: Invalid value: []string{"x", "y"}: values set must be empty for exists '
                 "and does not exist", id="exists takes no values"),
    pytest.param({"matchLabels": {"a b": "x"}}, 'key: Invalid value: "a b": name part ' + QNAME_RULE,
                 id="match label keys are validated"),
    pytest.param({"matchLabels": {"a": "x y"}}, 'values[0][a]: Invalid value: "x y": ' + VALUE_RULE,
                 id="match label values are validated"),
])
def test_selector_dict_errors(sel: dict[str, Any], message: str) -> None:
    with pytest.raises(selectors.SelectorError) as e:
        selectors.label_selector_from_dict(sel)
    assert str(e.value) == message
    assert isinstance(e.value, ValueError)


def test_selector_dict_errors_carry_field_causes() -> None:
    with pytest.raises(selectors.SelectorError) as e:
        selectors.label_selector_from_dict({"matchLabels": {"a": "x y"}})
    assert e.value.causes == [("values[0][a]", "x y", VALUE_RULE)]


# --- field selectors ---------------------------------------------------------------------------

NODE_OBJ = {"kind": "Node", "metadata": {"name": "n1"}, "spec": {"unschedulable": True}}
EVENT = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e", "namespace": "default"},
         "involvedObject": {"kind": "Pod", "name": "web-0", "namespace": "default", "uid": "u1"},
         "reason": "Started", "type": "Normal", "reportingComponent": "kubelet"}
NEW_EVENT = {"apiVersion": "events.k8s.io/v1", "kind": "Event",
             "metadata": {"name": "e", "namespace": "default"},
             "regarding": {"kind": "Pod", "name": "web-0"}, "reportingController": "sched",
             "type": "Warning"}


@pytest.mark.parametrize("key, text, obj, expected", [
    pytest.param("pods", "metadata.name=web-0", make_pod(), True, id="pods select by name"),
    pytest.param("pods", "metadata.namespace!=default", make_pod(), False,
                 id="pods select by namespace"),
    pytest.param("pods", "spec.nodeName=", make_pod(), True, id="an unscheduled pod has an empty node"),
    pytest.param("pods", "spec.nodeName=n1", make_pod(spec_nodeName="n1"), True,
                 id="a scheduled pod has its node"),
    pytest.param("pods", "spec.host=n1", make_pod(spec_nodeName="n1"), True,
                 id="spec.host is the old name of spec.nodeName"),
    pytest.param("pods", "status.phase=Running", make_pod(status_phase="Running"), True,
                 id="pods select by phase"),
    pytest.param("pods", "spec.restartPolicy=Always", make_pod(), True,
                 id="restart policy reads its default"),
    pytest.param("pods", "spec.schedulerName=default-scheduler", make_pod(), True,
                 id="scheduler name reads its default"),
    pytest.param("pods", "spec.serviceAccountName=default", make_pod(), True,
                 id="service account name reads its default"),
    pytest.param("pods", "spec.hostNetwork=false", make_pod(), True,
                 id="host network reads false when unset"),
    pytest.param("pods", "spec.hostNetwork=true", make_pod(spec_hostNetwork=True), True,
                 id="host network prints as true"),
    pytest.param("pods", "status.podIP=10.0.0.1", make_pod(status_podIPs=[{"ip": "10.0.0.1"}]), True,
                 id="pod IP falls back to the first of podIPs"),
    pytest.param("pods", "status.podIPs=10.0.0.1", make_pod(status_podIPs=[{"ip": "10.0.0.1"}]),
                 False, id="status.podIPs is accepted but never matches a value"),
    pytest.param("pods", "status.podIPs=", make_pod(status_podIPs=[{"ip": "10.0.0.1"}]), True,
                 id="status.podIPs always reads empty"),
    pytest.param("nodes", "spec.unschedulable=true", NODE_OBJ, True, id="cordoned nodes print true"),
    pytest.param("nodes", "spec.unschedulable=false", {"metadata": {"name": "n2"}}, True,
                 id="schedulable nodes print false"),
    pytest.param("events", "involvedObject.name=web-0,involvedObject.uid=u1", EVENT, True,
                 id="events select by involved object"),
    pytest.param("events", "source=kubelet", EVENT, True,
                 id="event source falls back to the reporting component"),
    pytest.param("events", "source=kl", {**EVENT, "source": {"component": "kl"}}, True,
                 id="event source reads source.component"),
    pytest.param("events", "reportingComponent=kubelet,type=Normal,reason=Started", EVENT, True,
                 id="events select by reporter, type and reason"),
    pytest.param("events.events.k8s.io", "regarding.name=web-0,reportingController=sched",
                 NEW_EVENT, True, id="events.k8s.io events select by regarding and controller"),
    pytest.param("events.events.k8s.io", "source=sched", NEW_EVENT, True,
                 id="events.k8s.io events still select by source"),
    pytest.param("secrets", "type=Opaque", {"metadata": {"name": "s"}}, True,
                 id="secret type reads Opaque when unset"),
    pytest.param("secrets", "type=kubernetes.io/tls", {"type": "kubernetes.io/tls"}, True,
                 id="secrets select by type"),
    pytest.param("jobs.batch", "status.successful=2", {"status": {"succeeded": 2}}, True,
                 id="jobs select by succeeded count as a number"),
    pytest.param("jobs.batch", "status.successful=0", {"status": {}}, True,
                 id="a job with no successes reads zero"),
    pytest.param("replicationcontrollers", "status.replicas=3", {"status": {"replicas": 3}}, True,
                 id="replication controllers select by replica count"),
    pytest.param("namespaces", "status.phase=Active", {"metadata": {"name": "ns"}}, True,
                 id="namespace phase reads Active when unset"),
    pytest.param("configmaps", "metadata.namespace=", {"metadata": {"name": "c"}}, True,
                 id="a missing namespace reads empty"),
    pytest.param("configmaps", "", {"metadata": {"name": "c"}}, True,
                 id="an empty field selector matches everything"),
])
def test_field_selector_matches(key: str, text: str, obj: dict[str, Any], expected: bool) -> None:
    assert selectors.parse_field_selector(text, res(key)).matches(obj) is expected


def test_field_selectors_on_custom_resources_read_scalars() -> None:
    crd = resources.Resource(group="example.com", versions=("v1",), kind="Widget", plural="widgets",
                             singular="widget", namespaced=True, crd="widgets.example.com",
                             field_labels=("spec.color", "spec.size", "spec.on"))
    sel = selectors.parse_field_selector("spec.color=red,spec.size=3,spec.on=true", crd)
    assert sel.matches({"spec": {"color": "red", "size": 3, "on": True}})
    assert not sel.matches({"spec": {"color": "red", "size": 4, "on": True}})
    with pytest.raises(errors.BadRequest) as e:
        selectors.parse_field_selector("spec.shape=round", crd)
    assert e.value.message == ('"spec.shape" is not a known field selector: '
                               'only "metadata.name", "metadata.namespace"')


@pytest.mark.parametrize("key, text, message", [
    pytest.param("pods", "spec.containers=x", "field label not supported: spec.containers",
                 id="kinds with their own conversion say field label not supported"),
    pytest.param("nodes", "metadata.namespace=x", "field label not supported: metadata.namespace",
                 id="nodes refuse metadata.namespace"),
    pytest.param("namespaces", "metadata.namespace=x",
                 "field label not supported: metadata.namespace",
                 id="namespaces refuse metadata.namespace"),
    pytest.param("events.events.k8s.io", "involvedObject.name=x",
                 "field label not supported: involvedObject.name",
                 id="events.k8s.io refuses the core spelling"),
    pytest.param("jobs.batch", "spec.parallelism=1",
                 'field label "spec.parallelism" not supported for batchv1.Job',
                 id="jobs word the refusal their own way"),
    pytest.param("deployments.apps", "spec.replicas=1",
                 '"spec.replicas" is not a known field selector: only "metadata.name", '
                 '"metadata.namespace"', id="other kinds use the default conversion's words"),
    pytest.param("pods", "metadata.name", "invalid selector: 'metadata.name'; can't understand "
                 "'metadata.name'", id="a term without an operator is rejected"),
    pytest.param("pods", "metadata.name=a=b",
                 "invalid field selector: unescaped character in value: 61",
                 id="an unescaped equals sign is reported by code point"),
    pytest.param("pods", "metadata.name=a\\b", "invalid field selector: invalid escape sequence: \\b",
                 id="only backslash comma and equals can be escaped"),
    pytest.param("pods", "metadata.name=a\\", "invalid field selector: invalid escape sequence: \\",
                 id="a trailing backslash is rejected"),
    pytest.param("pods", "zzz=1,metadata.name", "invalid selector: 'zzz=1,metadata.name'; can't "
                 "understand 'metadata.name'", id="syntax errors come before unsupported fields"),
    pytest.param("pods", "b.x=1,a.x=1", "field label not supported: a.x",
                 id="unsupported fields are reported in sorted term order"),
])
def test_field_selector_errors(key: str, text: str, message: str) -> None:
    with pytest.raises(errors.BadRequest) as e:
        selectors.parse_field_selector(text, res(key))
    assert e.value.message == message


def test_field_selector_terms_print_sorted_canonical_and_escaped() -> None:
    sel = selectors.parse_field_selector(r"spec.host==n1,metadata.name!=a\,b\=c\\d", res("pods"))
    assert sel.requirements == [("metadata.name", "!=", "a,b=c\\d"), ("spec.nodeName", "=", "n1")]
    assert str(sel) == r"metadata.name!=a\,b\=c\\d,spec.nodeName=n1"
    assert sel.exact_pairs() == {"spec.nodeName": "n1"}
    assert sel.matches(make_pod(spec_nodeName="n1"))
    assert sel == selectors.parse_field_selector(str(sel), res("pods"))


def test_field_value_reads_the_kind_from_the_object() -> None:
    assert selectors.field_value(NODE_OBJ, "spec.unschedulable") == "true"
    assert selectors.field_value(NEW_EVENT, "involvedObject.kind") == "Pod"
    assert selectors.field_value(NEW_EVENT, "source") == "sched"
    assert selectors.field_value(make_pod(status_podIP="1.2.3.4"), "status.podIP") == "1.2.3.4"
    assert selectors.field_value({"spec": {"n": 2.0}}, "spec.n") == "2"
    assert selectors.field_value({"spec": {}}, "spec.missing.deeper") == ""


# --- properties --------------------------------------------------------------------------------

KEYS = st.sampled_from(["a", "b", "app", "example.com/tier", "in"])
VALUES = st.sampled_from(["", "x", "y", "1", "5", "10", "notin"])
INTS = st.sampled_from(["0", "1", "5", "10"])
REQUIREMENT = st.one_of(
    st.tuples(KEYS, st.sampled_from(["=", "==", "!="]), VALUES.map(lambda v: (v,))),
    st.tuples(KEYS, st.sampled_from(["in", "notin"]), st.sets(VALUES, min_size=1).map(tuple)),
    st.tuples(KEYS, st.sampled_from(["exists", "!"]), st.just(())),
    st.tuples(KEYS, st.sampled_from(["gt", "lt"]), INTS.map(lambda v: (v,))),
)
LABEL_MAPS = st.lists(st.dictionaries(KEYS, st.one_of(VALUES, INTS)), min_size=1, max_size=8)


def reference_match(reqs: list[tuple[str, str, tuple[str, ...]]], labels: dict[str, str]) -> bool:
    """The documented semantics, written the slow and obvious way."""
    for key, op, values in reqs:
        have = labels.get(key)
        if op in ("=", "==", "in"):
            ok = have is not None and have in values
        elif op in ("!=", "notin"):
            ok = have is None or have not in values
        elif op == "exists":
            ok = have is not None
        elif op == "!":
            ok = have is None
        else:
            ok = have is not None and have.lstrip("-").isdigit() and (
                int(have) > int(values[0]) if op == "gt" else int(have) < int(values[0]))
        if not ok:
            return False
    return True


@settings(max_examples=300, deadline=None)
@given(st.lists(REQUIREMENT, max_size=4), LABEL_MAPS)
def test_printed_selectors_parse_back_to_the_same_selector(
        reqs: list[tuple[str, str, tuple[str, ...]]], maps: list[dict[str, str]]) -> None:
    sel = selectors.LabelSelector.from_requirements(reqs)
    again = selectors.parse_label_selector(str(sel))
    assert str(again) == str(sel)
    for labels in maps:
        assert again.matches(labels) == sel.matches(labels) == reference_match(reqs, labels)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab,=\\ !é")), max_size=12))
def test_escaped_field_values_round_trip(value: str) -> None:
    text = "metadata.name=" + selectors.escape_field_value(value)
    sel = selectors.parse_field_selector(text, res("configmaps"))
    assert sel.requirements == [("metadata.name", "=", value)]
    assert sel.matches({"metadata": {"name": value}})
