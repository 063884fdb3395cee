"""Content negotiation: request bodies in, response bodies out.

Decodes JSON, YAML and Kubernetes protobuf bodies; picks the response form
from ``Accept`` (plain JSON, YAML, ``Table``, ``PartialObjectMetadata``,
aggregated discovery). No Kubernetes semantics here beyond media types.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
import yaml
from aiohttp import web
from multidict import CIMultiDict

from minik8s.api import errors

JSON = "application/json"
YAML = "application/yaml"
PROTOBUF = "application/vnd.kubernetes.protobuf"
MAX_BODY = 3 * 1024 * 1024

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


def negotiate(request: web.Request) -> Accept:
    header = request.headers.get("Accept", "") or "*/*"
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


def content_type_of(request: web.Request) -> str:
    raw = request.headers.get("Content-Type", "")
    return raw.split(";", 1)[0].strip().lower()


async def read_body(request: web.Request) -> bytes:
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise errors.RequestEntityTooLarge("the server has received too large of a request body")
    data = bytearray()
    async for chunk in request.content.iter_chunked(65536):
        data += chunk
        if len(data) > MAX_BODY:
            raise errors.RequestEntityTooLarge("the server has received too large of a request body")
    return bytes(data)


def decode_body(raw: bytes, content_type: str, *, patch: bool = False) -> Any:
    """Bytes → Python value, by Content-Type (missing/octet-stream mean JSON)."""
    if content_type == PROTOBUF:
        from minik8s.api import protobuf

        return protobuf.decode(raw)
    if content_type in ("", JSON, "application/octet-stream", "text/plain") or \
            (patch and content_type in PATCH_TYPES and content_type != "application/apply-patch+yaml"):
        return _json(raw)
    if content_type in (YAML, "application/x-yaml", "text/yaml", "application/apply-patch+yaml"):
        stripped = raw.lstrip()
        if stripped[:1] in (b"{", b"["):
            try:
                return orjson.loads(raw)
            except orjson.JSONDecodeError:
                pass
        try:
            return yaml.safe_load(raw.decode("utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as e:
            raise errors.BadRequest(f"error converting YAML to JSON: {_one_line(str(e))}") from None
    if content_type in PATCH_TYPES:
        return _json(raw)
    raise errors.UnsupportedMediaType(
        f"the body of the request was in an unknown format - accepted media types include: "
        f"{JSON}, {YAML}, {PROTOBUF}")


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


def encode(obj: Any, accept: Accept, status: int = 200,
           headers: dict[str, Any] | None = None) -> web.Response:
    if accept.form == "yaml":
        text = yaml.safe_dump(obj, sort_keys=False, allow_unicode=True)
        return web.Response(body=text.encode(), status=status, headers=_headers(YAML, headers))
    return json_response(obj, status, headers=headers)


def status_response(err: errors.ApiError) -> web.Response:
    headers = dict(err.headers)
    return json_response(err.to_status(), err.code, headers=headers)
