"""Content negotiation: request bodies in, response bodies out.

Decodes JSON, YAML and Kubernetes protobuf bodies; picks the response form
from ``Accept`` (plain JSON, YAML, ``Table``, ``PartialObjectMetadata``,
aggregated discovery). No Kubernetes semantics here beyond media types.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import re
from typing import Any

import orjson
import yaml
from aiohttp import web
from multidict import CIMultiDict

from minik8s.api import errors
from minik8s.memo import remember

JSON = "application/json"
YAML = "application/yaml"
PROTOBUF = "application/vnd.kubernetes.protobuf"
MAX_BODY = 3 * 1024 * 1024
#: Objects and arrays nested deeper than this are refused (400). Go's decoder allows
#: 10,000; minik8s's encoder stops at 255 and Python's recursion well before
#: 10,000, so a body that could never be stored or served is refused up front.
MAX_DEPTH = 200

PATCH_TYPES = (
    "application/json-patch+json", "application/merge-patch+json",
    "application/strategic-merge-patch+json", "application/apply-patch+yaml",
)


@dataclasses.dataclass(frozen=True)
class MediaType:
    type: str
    params: dict[str, str]

    @property
    def as_(self) -> str:
        return self.params.get("as", "")

    @property
    def group(self) -> str:
        return self.params.get("g", "")

    @property
    def version(self) -> str:
        return self.params.get("v", "")


def parse_media_types(header: str) -> list[MediaType]:
    out = []
    for part in header.split(","):
        part = part.strip()
        if not part:
            continue
        bits = [b.strip() for b in part.split(";")]
        params = {}
        for b in bits[1:]:
            k, _, v = b.partition("=")
            params[k.strip().lower()] = v.strip().strip('"')
        out.append(MediaType(bits[0].lower(), params))
    return out


@dataclasses.dataclass(frozen=True)
class Accept:
    """What the client asked for, reduced to what we can answer."""

    form: str  # "json" | "yaml" | "table" | "partial" | "partiallist"
    table_version: str = "v1"


#: Accept header -> what it negotiates to; clients send a handful of distinct headers
_NEGOTIATED: dict[str, Accept] = {}
_NEGOTIATED_MAX = 256


def negotiate(request: web.Request) -> Accept:
    """The response form the ``Accept`` header asks for (``NotAcceptable`` if none)."""
    header = request.headers.get("Accept", "") or "*/*"
    accept = _NEGOTIATED.get(header)
    if accept is None:
        accept = _negotiate(header)
        if len(header) <= 256:  # (an odd long header is parsed each time instead)
            remember(_NEGOTIATED, header, accept, _NEGOTIATED_MAX)
    return accept


def _negotiate(header: str) -> Accept:
    for mt in parse_media_types(header):
        if mt.type == JSON or mt.type == "*/*" or mt.type == "application/*":
            if mt.as_ == "Table" and mt.group == "meta.k8s.io" and mt.version in ("v1", "v1beta1"):
                return Accept("table", mt.version)
            if mt.as_ in ("PartialObjectMetadata", "PartialObjectMetadataList") and \
                    mt.group == "meta.k8s.io":
                return Accept("partial" if mt.as_ == "PartialObjectMetadata" else "partiallist",
                              mt.version or "v1")
            if mt.as_:
                continue
            return Accept("json")
        if mt.type in (YAML, "application/x-yaml", "text/yaml"):
            return Accept("yaml")
        if mt.type == PROTOBUF and mt.as_ == "Table":
            continue
    for mt in parse_media_types(header):
        if mt.type == PROTOBUF:
            # we only speak JSON; a protobuf-only client still gets JSON it can't read,
            # so tell it plainly instead
            raise errors.NotAcceptable(
                "only the following media types are accepted: application/json, "
                "application/yaml, application/vnd.kubernetes.protobuf")
    raise errors.NotAcceptable(
        "only the following media types are accepted: application/json, application/yaml, "
        "application/vnd.kubernetes.protobuf")


_INT64 = re.compile(r"[+-]?[0-9]+")


def query_int(q: Any, name: str) -> int | None:
    """An integer query parameter as Go's ``strconv.ParseInt(v, 10, 64)`` reads it."""
    v = q.get(name)
    if v is None or v == "":
        return None
    if _INT64.fullmatch(v) and -(2 ** 63) <= int(v) < 2 ** 63:
        return int(v)
    raise errors.BadRequest(f'invalid value "{v}" for query parameter "{name}": '
                            "must be an integer")


def content_type_of(request: web.Request) -> str:
    raw = request.headers.get("Content-Type", "")
    return raw.split(";", 1)[0].strip().lower()


def body_too_large() -> errors.RequestEntityTooLarge:
    """kube-apiserver's ``limitedReadBody`` answer (``--max-request-bytes``: 3 MiB)."""
    return errors.RequestEntityTooLarge(f"Request entity too large: limit is {MAX_BODY}")


async def read_body(request: web.Request) -> bytes:
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise body_too_large()
    data = bytearray()
    async for chunk in request.content.iter_chunked(65536):
        data += chunk
        if len(data) > MAX_BODY:
            raise body_too_large()
    return bytes(data)


def decode_body(raw: bytes, content_type: str, *, patch: bool = False) -> Any:
    """Bytes → Python value, by Content-Type (missing/octet-stream mean JSON).

    Values nested deeper than ``MAX_DEPTH`` are refused here, once, so that no
    later step (copies, schema walks, the encoder) meets one.
    """
    if content_type == PROTOBUF:
        from minik8s.api import protobuf

        value = protobuf.decode(raw)
    elif content_type in ("", JSON, "application/octet-stream", "text/plain") or \
            (patch and content_type in PATCH_TYPES and content_type != "application/apply-patch+yaml"):
        value = _json(raw)
    elif content_type in (YAML, "application/x-yaml", "text/yaml", "application/apply-patch+yaml"):
        return _yaml(raw)
    elif content_type in PATCH_TYPES:
        value = _json(raw)
    else:
        raise errors.UnsupportedMediaType(
            f"the body of the request was in an unknown format - accepted media types include: "
            f"{JSON}, {YAML}, {PROTOBUF}")
    if raw.count(b"[") + raw.count(b"{") >= MAX_DEPTH:  # only then can it be that deep
        _check_depth(value)
    return value


def _too_deep() -> errors.BadRequest:
    return errors.BadRequest(f"the request body is nested too deeply: at most {MAX_DEPTH} "
                             "levels of objects and arrays are accepted")


def _check_depth(value: Any) -> None:
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _too_deep()
        if isinstance(v, dict):
            stack.extend((c, depth + 1) for c in v.values() if isinstance(c, (dict, list)))
        elif isinstance(v, list):
            stack.extend((c, depth + 1) for c in v if isinstance(c, (dict, list)))


def _yaml(raw: bytes) -> Any:
    if raw.lstrip()[:1] in (b"{", b"["):
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
        else:
            if raw.count(b"[") + raw.count(b"{") >= MAX_DEPTH:
                _check_depth(value)
            return value
    try:
        loaded = yaml.safe_load(raw.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as e:
        raise errors.BadRequest(f"error converting YAML to JSON: {_one_line(str(e))}") from None
    return _YamlToJson().convert(loaded, 1)


class _YamlToJson:
    """A YAML value as the JSON sigs.k8s.io/yaml would make of it: keys become
    strings, timestamps and binary become strings, aliases are expanded into
    copies, and go-yaml's guard against alias bombs applies
    (``document contains excessive aliasing``)."""

    def __init__(self) -> None:
        self.decodes = 0
        self.aliases = 0
        self.seen: set[int] = set()

    def convert(self, v: Any, depth: int, in_alias: bool = False) -> Any:
        self.decodes += 1
        if isinstance(v, (dict, list, set)):
            if depth > MAX_DEPTH:
                raise _too_deep()
            if id(v) in self.seen:
                in_alias = True  # a second occurrence of one node: an alias being expanded
            self.seen.add(id(v))
        if in_alias:
            self.aliases += 1
            if self.aliases > 100 and self.decodes > 1000 and \
                    self.aliases / self.decodes > _allowed_alias_ratio(self.decodes):
                raise errors.BadRequest("error converting YAML to JSON: yaml: document "
                                        "contains excessive aliasing")
        if isinstance(v, dict):
            return {_yaml_key(k): self.convert(x, depth + 1, in_alias) for k, x in v.items()}
        if isinstance(v, set):
            return {_yaml_key(k): None for k in v}
        if isinstance(v, list):
            return [self.convert(x, depth + 1, in_alias) for x in v]
        if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
            raise errors.BadRequest(f"error converting YAML to JSON: json: unsupported value: "
                                    f"{_GO_FLOATS.get(str(v), str(v))}")
        if isinstance(v, (datetime.date, datetime.datetime)):
            return v.isoformat().replace("+00:00", "Z")
        if isinstance(v, bytes):
            return base64.b64encode(v).decode("ascii")
        if isinstance(v, str):
            return _valid_text(v)
        return v


_GO_FLOATS = {"nan": "NaN", "inf": "+Inf", "-inf": "-Inf"}


def _valid_text(s: str) -> str:
    """YAML escapes can spell lone surrogates, which are not text: as Go's JSON
    encoder does with invalid UTF-8, each becomes U+FFFD."""
    if s.isascii():
        return s
    try:
        s.encode()
    except UnicodeEncodeError:
        return s.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return s


def _yaml_key(k: Any) -> str:
    if isinstance(k, str):
        return _valid_text(k)
    if isinstance(k, bool):
        return "true" if k else "false"
    if k is None:
        return "null"
    if isinstance(k, (int, float)):
        return str(k)
    if isinstance(k, (datetime.date, datetime.datetime)):
        return k.isoformat().replace("+00:00", "Z")
    raise errors.BadRequest(f"error converting YAML to JSON: unsupported map key: {k!r}")


def _allowed_alias_ratio(decodes: int) -> float:
    """go-yaml v2's ``allowedAliasRatio``: 99% of a small document may come from
    alias expansion, 10% of a huge one."""
    low, high = 400_000, 4_000_000
    if decodes <= low:
        return 0.99
    if decodes >= high:
        return 0.10
    return 0.99 - 0.89 * (decodes - low) / (high - low)


def _json(raw: bytes) -> Any:
    if not raw.strip():
        raise errors.BadRequest("the body of the request is empty")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise errors.BadRequest(
            f"couldn't get version/kind; json parse error: {_one_line(str(e))}") from None
    except RecursionError:
        raise errors.BadRequest("couldn't get version/kind; json parse error: "
                                "exceeded max depth") from None


def _one_line(s: str) -> str:
    return " ".join(s.split())


def _headers(content_type: str, extra: dict[str, Any] | None) -> CIMultiDict[str]:
    """Headers; a list value becomes repeated headers (one ``Warning`` each)."""
    h: CIMultiDict[str] = CIMultiDict({"Content-Type": content_type})
    for k, v in (extra or {}).items():
        if isinstance(v, list):
            for item in v:
                h.add(k, item)
        else:
            h[k] = v
    return h


def json_response(obj: Any, status: int = 200, *, content_type: str = JSON,
                  headers: dict[str, Any] | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(obj), status=status,
                        headers=_headers(content_type, headers))


def bytes_response(body: bytes, status: int = 200, *,
                   headers: dict[str, Any] | None = None) -> web.Response:
    """Already-encoded JSON (a stored object's cached bytes)."""
    if not headers:
        return web.Response(body=body, status=status, headers={"Content-Type": JSON})
    return web.Response(body=body, status=status, headers=_headers(JSON, headers))


def encode(obj: Any, accept: Accept, status: int = 200,
           headers: dict[str, Any] | None = None) -> web.Response:
    if accept.form == "yaml":
        text = yaml.safe_dump(obj, sort_keys=False, allow_unicode=True)
        return web.Response(body=text.encode(), status=status, headers=_headers(YAML, headers))
    return json_response(obj, status, headers=headers)


def status_response(err: errors.ApiError) -> web.Response:
    headers = dict(err.headers)
    return json_response(err.to_status(), err.code, headers=headers)
