"""Kubernetes API errors: a small tree keyed by HTTP status.

Every failure anywhere in minik8s is one of these; the server renders
``to_status()`` as a ``metav1.Status`` and the in-process client raises them
unchanged, so both doors report the same reason, code and message.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    code = 500
    reason = "InternalError"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}

    def __str__(self) -> str:
        return f"{self.reason} ({self.code}): {self.message}"

    def to_status(self) -> dict[str, Any]:
        status: dict[str, Any] = {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": self.message, "reason": self.reason, "code": self.code,
        }
        if not self.reason:  # StatusReasonUnknown is "" and omitted on the wire
            del status["reason"]
        if self.details:
            status["details"] = self.details
        return status


def _details(name: str, group: str, kind: str) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if name:
        d["name"] = name
    d["group"] = group
    d["kind"] = kind
    return d


def _qualified(group: str, plural: str) -> str:
    return f"{plural}.{group}" if group else plural


class BadRequest(ApiError):
    code = 400
    reason = "BadRequest"


class Unauthorized(ApiError):
    code = 401
    reason = "Unauthorized"


class Forbidden(ApiError):
    code = 403
    reason = "Forbidden"

    @classmethod
    def for_resource(cls, group: str, plural: str, name: str, why: str) -> "Forbidden":
        q = _qualified(group, plural)
        msg = f'{q} "{name}" is forbidden: {why}' if name else f"{q} is forbidden: {why}"
        return cls(msg, details=_details(name, group, plural))


class NotFound(ApiError):
    code = 404
    reason = "NotFound"

    @classmethod
    def for_resource(cls, group: str, plural: str, name: str) -> "NotFound":
        return cls(f'{_qualified(group, plural)} "{name}" not found',
                   details=_details(name, group, plural))

    @classmethod
    def no_route(cls) -> "NotFound":
        return cls("the server could not find the requested resource",
                   details={"causes": [{"reason": "UnexpectedServerResponse",
                                        "message": "404 page not found"}]})


class MethodNotAllowed(ApiError):
    code = 405
    reason = "MethodNotAllowed"

    def __init__(self, message: str = "the server does not allow this method on the requested resource",
                 **kw: Any) -> None:
        super().__init__(message, **kw)


class NotAcceptable(ApiError):
    code = 406
    reason = "NotAcceptable"


class AlreadyExists(ApiError):
    code = 409
    reason = "AlreadyExists"

    @classmethod
    def for_resource(cls, group: str, plural: str, name: str) -> "AlreadyExists":
        return cls(f'{_qualified(group, plural)} "{name}" already exists',
                   details=_details(name, group, plural))


class Conflict(ApiError):
    code = 409
    reason = "Conflict"

    @classmethod
    def modified(cls, group: str, plural: str, name: str) -> "Conflict":
        return cls(
            f'Operation cannot be fulfilled on {_qualified(group, plural)} "{name}": '
            "the object has been modified; please apply your changes to the latest "
            "version and try again",
            details=_details(name, group, plural),
        )

    @classmethod
    def for_resource(cls, group: str, plural: str, name: str, why: str) -> "Conflict":
        return cls(f'Operation cannot be fulfilled on {_qualified(group, plural)} "{name}": {why}',
                   details=_details(name, group, plural))


class Gone(ApiError):
    code = 410
    reason = "Expired"


class RequestEntityTooLarge(ApiError):
    code = 413
    reason = "RequestEntityTooLarge"


class UnsupportedMediaType(ApiError):
    code = 415
    reason = "UnsupportedMediaType"


class Invalid(ApiError):
    """422 with one cause per field problem; ``causes`` are ``FieldError``s."""

    code = 422
    reason = "Invalid"

    def __init__(self, kind: str, group: str, name: str, causes: list["FieldError"]) -> None:
        self.kind, self.group, self.name, self.causes = kind, group, name, causes
        qualified = f"{kind}.{group}" if group else kind
        text = "; ".join(c.text for c in causes)
        if len(causes) > 1:
            text = "[" + ", ".join(c.text for c in causes) + "]"
        super().__init__(
            f'{qualified} "{name}" is invalid: {text}',
            details={**_details(name, group, kind),
                     "causes": [c.to_cause() for c in causes]},
        )


class TooManyRequests(ApiError):
    code = 429
    reason = "TooManyRequests"


class InternalError(ApiError):
    code = 500
    reason = "InternalError"


class StorageError(ApiError):
    """An error from storage that kube-apiserver passes on without a Status of its
    own: 500, no reason. The one minik8s emulates: etcd refusing an object over
    its request limit (``etcdserver: request is too large``)."""

    code = 500
    reason = ""


class ServiceUnavailable(ApiError):
    code = 503
    reason = "ServiceUnavailable"


class FieldError:
    """One field problem, worded like k8s.io/apimachinery's field.Error."""

    REASONS = {
        "invalid": "FieldValueInvalid",
        "required": "FieldValueRequired",
        "duplicate": "FieldValueDuplicate",
        "not_supported": "FieldValueNotSupported",
        "forbidden": "FieldValueForbidden",
        "too_long": "FieldValueTooLong",
        "too_many": "FieldValueTooMany",
        "not_found": "FieldValueNotFound",
        "type_invalid": "FieldValueTypeInvalid",
    }

    def __init__(self, kind: str, field: str, value: Any = None, detail: str = "",
                 supported: list[str] | None = None) -> None:
        self.kind, self.field, self.value, self.detail = kind, field, value, detail
        self.supported = supported

    @property
    def reason(self) -> str:
        return self.REASONS[self.kind]

    @property
    def message(self) -> str:
        d = self.detail
        if self.kind == "invalid":
            return f"Invalid value: {render_value(self.value)}" + (f": {d}" if d else "")
        if self.kind == "required":
            return "Required value" + (f": {d}" if d else "")
        if self.kind == "duplicate":
            return f"Duplicate value: {render_value(self.value)}"
        if self.kind == "not_supported":
            opts = ", ".join(f'"{s}"' for s in (self.supported or []))
            return f"Unsupported value: {render_value(self.value)}" + (
                f": supported values: {opts}" if opts else "")
        if self.kind == "forbidden":
            return "Forbidden" + (f": {d}" if d else "")
        if self.kind == "too_long":
            return f"Too long: {d}" if d else "Too long"
        if self.kind == "too_many":
            return f"Too many: {render_value(self.value)}" + (f": {d}" if d else "")
        if self.kind == "not_found":
            return f"Not found: {render_value(self.value)}"
        if self.kind == "type_invalid":
            return f"Invalid value: {render_value(self.value)}: {d}"
        return d

    @property
    def text(self) -> str:
        return f"{self.field}: {self.message}"

    def to_cause(self) -> dict[str, str]:
        return {"reason": self.reason, "message": self.message, "field": self.field}

    def __repr__(self) -> str:
        return f"FieldError({self.text!r})"


def render_value(v: Any) -> str:
    """Go's ``%#v``-ish rendering used by field errors: strings quoted."""
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, dict):
        if all(isinstance(k, str) and isinstance(x, str) for k, x in v.items()):
            inner = ", ".join(f"{render_value(k)}:{render_value(x)}" for k, x in sorted(v.items()))
            return "map[string]string{" + inner + "}"
        return "{...}"
    if isinstance(v, list):
        if all(isinstance(x, str) for x in v):
            return "[]string{" + ", ".join(render_value(x) for x in v) + "}"
        return "[...]"
    return str(v)


def invalid(kind: str, group: str, name: str, causes: list[FieldError]) -> Invalid:
    return Invalid(kind, group, name, causes)
