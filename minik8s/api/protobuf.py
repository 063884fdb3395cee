"""Protobuf request bodies (``application/vnd.kubernetes.protobuf``) to JSON-shaped dicts.

kubectl 1.32+ sends the bodies of its typed-client calls (``create configmap``,
``auth can-i``, ``autoscale``, drain's delete...) as protobuf: the magic
``k8s\\x00`` and a ``runtime.Unknown`` {1: TypeMeta{1 apiVersion, 2 kind},
2: raw object, 3: contentEncoding, 4: contentType} (kubectl-protocol.md §10).
``decode`` turns such a body into the dict the same command sends as JSON, so
the server has one write path.  Message layouts come from ``proto_table.json``,
generated from the upstream ``generated.proto`` files by
``tools/gen_proto_table.py`` (which documents the table).  Neighbours: the
server's body parsing calls ``decode``; ``api.errors.BadRequest`` is what any
malformed body raises.

Mapping: ``bytes`` → base64; ``Time`` → RFC3339 seconds, ``MicroTime`` →
RFC3339 with microseconds (an empty Time message is Go's zero time and is
omitted, like JSON's ``null``); ``Quantity`` → string; ``IntOrString`` → int
or string; ``RawExtension``/``FieldsV1`` → the parsed JSON; ``map<k,v>`` →
dict; repeated scalars packed or not; int32/int64 varints two's complement.
Unknown field numbers are skipped.

Zero values (the omitempty rule).  Go's marshaller writes every non-pointer
field, set or not, and a pointer field only when set; the wire cannot tell
``replicas: 0`` (pointer, meaningful) from ``minReadySeconds: 0`` (non-pointer,
Go's JSON drops it).  The aim is the JSON Go would write for the decoded struct:

* messages are kept even when empty: Go's JSON writes a non-pointer struct as
  ``{}`` too (``strategy: {}``, ``resources: {}``, ``status: {}``), and an empty
  pointer struct is data (``emptyDir: {}``);
* ``""`` and empty ``bytes`` are dropped, except in fields flagged *keep-zero*
  (Go pointer strings: ``storageClassName: ""`` means "no class");
* numbers and booleans are kept as sent, except in fields flagged *drop-zero*
  (non-pointer ``omitempty``: ``paused``, ``hostPort``, ``generation``...);
* zero times, empty RawExtensions and empty lists/maps are left out (JSON ``null``).

The flags are in the table (from the Go structs; see the generator).  Against
kubectl 1.31's JSON for the same commands the result is identical except that
the ``""`` of a non-pointer field *without* omitempty (``TokenRequest.status.token``,
``Sysctl.value``) is left out; Go reads both as the same struct.  A message the lists
do not cover keeps its zero numbers/booleans: a stray ``hostPort: 0`` is harmless, a
lost ``replicas: 0`` or ``automountServiceAccountToken: false`` is not.
"""

from __future__ import annotations

import base64
import datetime
import functools
import importlib.resources
import struct
from typing import Any

import orjson

from minik8s.api import errors

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"
#: nesting deeper than this is refused (built-in schemas are at most 14 deep, none recursive)
MAX_DEPTH = 100

REPEATED, DROP_ZERO, KEEP_ZERO = 1, 2, 4

# value kinds; the proto scalar names, then message/map and the special kinds
(STRING, BYTES, BOOL, INT32, INT64, UINT32, UINT64, SINT32, SINT64, FIXED32, FIXED64,
 SFIXED32, SFIXED64, DOUBLE, FLOAT, MESSAGE, MAP, TIME, MICROTIME, QUANTITY, INTSTR,
 JSON, DURATION, STRINGS, RAW) = range(25)
_KINDS = {"string": STRING, "bytes": BYTES, "bool": BOOL, "int32": INT32, "int64": INT64,
          "uint32": UINT32, "uint64": UINT64, "sint32": SINT32, "sint64": SINT64,
          "fixed32": FIXED32, "fixed64": FIXED64, "sfixed32": SFIXED32, "sfixed64": SFIXED64,
          "double": DOUBLE, "float": FLOAT, "map": MAP, "time": TIME, "microtime": MICROTIME,
          "quantity": QUANTITY, "intstr": INTSTR, "json": JSON, "duration": DURATION,
          "strings": STRINGS}
_VARINT_KINDS = frozenset({BOOL, INT32, INT64, UINT32, UINT64, SINT32, SINT64})
_FIXED64_KINDS = {FIXED64: "<Q", SFIXED64: "<q", DOUBLE: "<d"}
_FIXED32_KINDS = {FIXED32: "<I", SFIXED32: "<i", FLOAT: "<f"}
_MASK64 = (1 << 64) - 1

# A field: (json name, kind, flags, sub); sub is the field table of a message kind,
# the {1: key, 2: value} entry table of a map, else None.  A json name of "" marks
# a struct embedded with json:",inline" (its fields are merged into the parent).
Field = tuple[str, int, int, Any]
Fields = dict[int, Field]

_TIME: Fields = {1: ("seconds", INT64, 0, None), 2: ("nanos", INT32, 0, None)}
_ONE_STRING: Fields = {1: ("string", STRING, KEEP_ZERO, None)}
_INTSTR: Fields = {1: ("type", INT64, 0, None), 2: ("intVal", INT32, 0, None),
                   3: ("strVal", STRING, KEEP_ZERO, None)}
_RAW: Fields = {1: ("raw", RAW, 0, None)}
_DURATION: Fields = {1: ("duration", INT64, 0, None)}
_ITEMS: Fields = {1: ("items", STRING, REPEATED, None)}
_UNKNOWN: Fields = {
    1: ("typeMeta", MESSAGE, 0, {1: ("apiVersion", STRING, 0, None),
                                 2: ("kind", STRING, 0, None)}),
    2: ("raw", RAW, 0, None), 3: ("contentEncoding", STRING, 0, None),
    4: ("contentType", STRING, 0, None),
}

_META = "k8s.io.apimachinery.pkg.apis.meta.v1"
#: meta/v1 option kinds accepted under any apiVersion (as AddToGroupVersion registers them)
_META_KINDS = frozenset({"DeleteOptions", "CreateOptions", "UpdateOptions", "PatchOptions",
                         "GetOptions", "ListOptions"})
#: groups whose proto package is not k8s.io.api.<first label>
_GROUP_PACKAGES = {
    "": "k8s.io.api.core",
    "meta.k8s.io": "k8s.io.apimachinery.pkg.apis.meta",
    "apiextensions.k8s.io": "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions",
    "apiregistration.k8s.io": "k8s.io.kube_aggregator.pkg.apis.apiregistration",
    "internal.apiserver.k8s.io": "k8s.io.api.apiserverinternal",
    "metrics.k8s.io": "k8s.io.metrics.pkg.apis.metrics",
}
_EPOCH = datetime.datetime(1970, 1, 1)
#: value of a map entry sent without one (Go's zero value, as its JSON shows it)
_ZERO: dict[int, Any] = {STRING: "", BYTES: "", BOOL: False, QUANTITY: "0", MESSAGE: {},
                         STRINGS: [], TIME: None, MICROTIME: None, JSON: None}


def decode(body: bytes, *, api_version: str = "", kind: str = "") -> dict[str, Any]:
    """Decode a ``k8s\\x00``-framed protobuf body into its JSON-shaped object.

    ``api_version``/``kind`` are used only when the envelope's TypeMeta lacks them
    (the URL's resource).  Raises ``errors.BadRequest`` for anything malformed.
    """
    buf = bytes(body)
    if buf[:4] != MAGIC:
        raise errors.BadRequest("protobuf body does not start with the k8s\\x00 magic")
    envelope = _message(buf, 4, len(buf), _UNKNOWN, 0)
    type_meta = envelope.get("typeMeta", {})
    api_version = type_meta.get("apiVersion") or api_version
    kind = type_meta.get("kind") or kind
    if envelope.get("contentEncoding"):
        raise errors.BadRequest(
            f"unsupported protobuf content encoding {envelope['contentEncoding']!r}")
    if not api_version or not kind:
        raise errors.BadRequest("protobuf body without apiVersion and kind")
    fields = message_fields(api_version, kind)
    if fields is None:
        raise errors.BadRequest(
            f'no kind "{kind}" is registered for version "{api_version}" (protobuf)')
    raw = envelope.get("raw", b"")
    obj: dict[str, Any] = {"apiVersion": api_version, "kind": kind}
    obj.update(_message(raw, 0, len(raw), fields, 0))
    return obj


def message_fields(api_version: str, kind: str) -> Fields | None:
    """The field table for (apiVersion, kind), or None when unknown."""
    group, _, version = api_version.rpartition("/")
    prefix = _GROUP_PACKAGES.get(group) or "k8s.io.api." + group.split(".", 1)[0]
    messages = _messages()
    found = messages.get(f"{prefix}.{version}.{kind}")
    if found is None and kind in _META_KINDS:
        found = messages.get(f"{_META}.{kind}")
    return found


@functools.cache
def _messages() -> dict[str, Fields]:
    """Load ``proto_table.json`` once, linking message fields to their tables."""
    text = importlib.resources.files("minik8s.api").joinpath("proto_table.json").read_bytes()
    table: dict[str, dict[str, list[Any]]] = orjson.loads(text)["messages"]
    out: dict[str, Fields] = {fqn: {} for fqn in table}

    def field(name: str, kind: str, flags: int) -> Field:
        if kind in _KINDS:
            return (name, _KINDS[kind], flags, None)
        return (name, MESSAGE, flags, out[kind])

    for fqn, fields in table.items():
        for num, spec in fields.items():
            name, kind, flags = spec[0], spec[1], spec[2]
            if kind == "map":
                entry = {1: field("key", spec[3], KEEP_ZERO), 2: field("value", spec[4], KEEP_ZERO)}
                out[fqn][int(num)] = (name, MAP, flags, entry)
            else:
                out[fqn][int(num)] = field(name, kind, flags)
    return out


def _bad(what: str, pos: int) -> errors.BadRequest:
    return errors.BadRequest(f"malformed protobuf body: {what} at byte {pos}")


def _varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end:
            raise _bad("truncated varint", pos)
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result & _MASK64, pos
        shift += 7
        if shift >= 70:
            raise _bad("varint longer than 10 bytes", pos)


def _skip(buf: bytes, pos: int, end: int, wire: int) -> int:
    if wire == 0:
        return _varint(buf, pos, end)[1]
    if wire == 1:
        pos += 8
    elif wire == 5:
        pos += 4
    elif wire == 2:
        n, pos = _varint(buf, pos, end)
        pos += n
    else:
        raise _bad(f"unsupported wire type {wire}", pos)
    if pos > end:
        raise _bad("field runs past the end", end)
    return pos


def _message(buf: bytes, pos: int, end: int, fields: Fields, depth: int) -> dict[str, Any]:
    """Decode buf[pos:end] as a message of ``fields``; the hot loop, hence the inlining."""
    if depth > MAX_DEPTH:
        raise _bad("nesting too deep", pos)
    out: dict[str, Any] = {}
    while pos < end:
        tag = buf[pos]
        if tag < 0x80:
            pos += 1
        else:
            tag, pos = _varint(buf, pos, end)
        wire = tag & 7
        field = fields.get(tag >> 3)
        if field is None:
            if tag >> 3 == 0:
                raise _bad("field number 0", pos)
            pos = _skip(buf, pos, end, wire)
            continue
        name, kind, flags, sub = field
        if wire == 2:
            if pos < end and buf[pos] < 0x80:
                stop = pos + 1 + buf[pos]
                pos += 1
            else:
                n, pos = _varint(buf, pos, end)
                stop = pos + n
            if stop > end:
                raise _bad(f"length of field {name!r} past the end", pos)
            if kind == STRING:
                value: Any = buf[pos:stop].decode("utf-8", "replace")
                pos = stop
                if flags & REPEATED:
                    out.setdefault(name, []).append(value)
                elif value or flags & KEEP_ZERO:
                    out[name] = value
                else:
                    out.pop(name, None)
                continue
            if kind == MESSAGE:
                value = _message(buf, pos, stop, sub, depth + 1) if stop > pos else {}
                pos = stop
                if flags & REPEATED:
                    out.setdefault(name, []).append(value)
                elif name:
                    out[name] = value
                else:  # embedded with json:",inline"
                    out.update(value)
                continue
            if kind == MAP:
                key, value = _map_entry(buf, pos, stop, sub, depth + 1)
                out.setdefault(name, {})[key] = value
                pos = stop
                continue
            if flags & REPEATED and kind < MESSAGE and kind != BYTES:
                values = _packed(buf, pos, stop, kind)
                if values:
                    out.setdefault(name, []).extend(values)
                pos = stop
                continue
            value = _length_delimited(buf, pos, stop, kind, depth)
            pos = stop
        elif wire == 0 and kind in _VARINT_KINDS:
            if pos < end and buf[pos] < 0x80:
                value = buf[pos]
                pos += 1
                if kind == BOOL:
                    value = value != 0
                elif kind == SINT32 or kind == SINT64:
                    value = (value >> 1) ^ -(value & 1)
            else:
                raw, pos = _varint(buf, pos, end)
                value = _from_varint(raw, kind)
        elif wire == 1 and kind in _FIXED64_KINDS:
            if pos + 8 > end:
                raise _bad("truncated fixed64", pos)
            value = struct.unpack_from(_FIXED64_KINDS[kind], buf, pos)[0]
            pos += 8
        elif wire == 5 and kind in _FIXED32_KINDS:
            if pos + 4 > end:
                raise _bad("truncated fixed32", pos)
            value = struct.unpack_from(_FIXED32_KINDS[kind], buf, pos)[0]
            pos += 4
        else:
            raise _bad(f"wire type {wire} does not match field {name!r}", pos)
        if flags & REPEATED:
            out.setdefault(name, []).append(value)
        elif value is None or (value == "" and not flags & KEEP_ZERO) or (
                flags & DROP_ZERO and not value):
            out.pop(name, None)
        else:
            out[name] = value
    return out


def _from_varint(raw: int, kind: int) -> Any:
    if kind == BOOL:
        return raw != 0
    if kind == INT64:
        return raw - (1 << 64) if raw >> 63 else raw
    if kind == INT32:
        raw &= 0xFFFFFFFF
        return raw - (1 << 32) if raw >> 31 else raw
    if kind == UINT32:
        return raw & 0xFFFFFFFF
    if kind in (SINT32, SINT64):
        if kind == SINT32:
            raw &= 0xFFFFFFFF
        return (raw >> 1) ^ -(raw & 1)
    return raw  # UINT64


def _packed(buf: bytes, pos: int, stop: int, kind: int) -> list[Any]:
    if kind in _VARINT_KINDS:
        values = []
        while pos < stop:
            raw, pos = _varint(buf, pos, stop)
            values.append(_from_varint(raw, kind))
        return values
    fmt = _FIXED64_KINDS.get(kind) or _FIXED32_KINDS[kind]
    size = struct.calcsize(fmt)
    if (stop - pos) % size:
        raise _bad("packed fixed-size field of a wrong length", pos)
    return [v for (v,) in struct.iter_unpack(fmt, buf[pos:stop])]


def _map_entry(buf: bytes, pos: int, stop: int, entry: Fields, depth: int) -> tuple[str, Any]:
    """One ``map<k,v>`` entry {1: key, 2: value}; a missing part is its zero value."""
    kv = _message(buf, pos, stop, entry, depth)
    key = kv.get("key", "")
    if "value" in kv:
        value = kv["value"]
    else:
        value = _ZERO.get(entry[2][1], 0)
        if isinstance(value, (dict, list)):
            value = type(value)()
    return key if isinstance(key, str) else str(key), value


def _length_delimited(buf: bytes, pos: int, stop: int, kind: int, depth: int) -> Any:
    """A bytes field or one of the special messages; None means 'omit'."""
    if kind == RAW:
        return buf[pos:stop]
    if kind == BYTES:
        return base64.b64encode(buf[pos:stop]).decode("ascii")
    if kind in (TIME, MICROTIME):
        if pos == stop:
            return None  # Go's zero time: JSON null
        t = _message(buf, pos, stop, _TIME, depth + 1)
        return _rfc3339(t.get("seconds", 0), t.get("nanos", 0) if kind == MICROTIME else 0,
                        micro=kind == MICROTIME, pos=pos)
    if kind == QUANTITY:
        return _message(buf, pos, stop, _ONE_STRING, depth + 1).get("string") or "0"
    if kind == INTSTR:
        v = _message(buf, pos, stop, _INTSTR, depth + 1)
        if v.get("type", 0) == 0:
            return v.get("intVal", 0)
        if v["type"] == 1:
            return v.get("strVal", "")
        raise _bad(f"IntOrString of unknown type {v['type']}", pos)
    if kind == JSON:
        raw = _message(buf, pos, stop, _RAW, depth + 1).get("raw", b"")
        if not raw:
            return None
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            raise _bad(f"embedded JSON is invalid ({e})", pos) from None
    if kind == STRINGS:
        return _message(buf, pos, stop, _ITEMS, depth + 1).get("items", [])
    if kind == DURATION:
        return go_duration(_message(buf, pos, stop, _DURATION, depth + 1).get("duration", 0))
    raise _bad(f"wire type 2 does not match a field of kind {kind}", pos)


def _rfc3339(seconds: int, nanos: int, *, micro: bool, pos: int) -> str:
    """Go's RFC3339 (``Time``) / RFC3339Micro (``MicroTime``) rendering, in UTC."""
    seconds, nanos = divmod(seconds * 1_000_000_000 + nanos, 1_000_000_000)
    try:
        t = _EPOCH + datetime.timedelta(seconds=seconds)
    except OverflowError:
        raise _bad(f"timestamp {seconds} out of range", pos) from None
    text = (f"{t.year:04d}-{t.month:02d}-{t.day:02d}"
            f"T{t.hour:02d}:{t.minute:02d}:{t.second:02d}")
    return f"{text}.{nanos // 1000:06d}Z" if micro else text + "Z"


def go_duration(ns: int) -> str:
    """Go's ``time.Duration.String()``: ``1h2m3.5s``, ``150ms``, ``0s``."""
    if ns == 0:
        return "0s"
    sign, u = ("-", -ns) if ns < 0 else ("", ns)
    if u < 1000:
        return f"{sign}{u}ns"
    if u < 1_000_000:
        return f"{sign}{_decimal(u, 1000)}µs"
    if u < 1_000_000_000:
        return f"{sign}{_decimal(u, 1_000_000)}ms"
    hours, rest = divmod(u, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    text = _decimal(rest, 1_000_000_000) + "s"
    if hours:
        text = f"{hours}h{minutes}m{text}"
    elif minutes:
        text = f"{minutes}m{text}"
    return sign + text


def _decimal(value: int, unit: int) -> str:
    whole, frac = divmod(value, unit)
    digits = str(frac).rjust(len(str(unit)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}" if digits else str(whole)
