"""Authentication: who sent a request, from its bearer token (or nobody: anonymous).

Three kinds of token, tried as kube-apiserver's union authenticator tries them:
static tokens (``--token-auth-file``, kube-apiserver's CSV ``token,user,uid,"g1,g2"``,
plus the generated admin token of the kubeconfig ``minik8s serve`` writes) and
service-account tokens issued by the TokenRequest API (``kubectl create token``):
JWTs signed with HMAC-SHA256 under a per-cluster key, valid while unexpired, meant for
this API server's audience, and while the ServiceAccount they name still exists with
the same uid. A bearer token that matches none of them is a 401 even when anonymous
requests are allowed (a bad credential is never anonymous); a request without one is
``system:anonymous`` when ``--anonymous-auth`` is on and a 401 when it is off.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import uuid
from collections.abc import Mapping
from typing import Any

import orjson

from minik8s.aio.clock import Clock
from minik8s.api import errors
from minik8s.auth.user import ANONYMOUS_USER, UserInfo, sa_groups, sa_username, with_authenticated
from minik8s.memo import remember
from minik8s.store.store import Store

Obj = dict[str, Any]
ISSUER = "https://kubernetes.default.svc.cluster.local"
#: ``--api-audiences``: a token must be meant for one of these
API_AUDIENCES = (ISSUER,)
CREDENTIAL_ID = "authentication.kubernetes.io/credential-id"
#: verified service-account tokens kept at most (the oldest make room: ``remember``)
CACHE_SIZE = 4096


class InvalidToken(Exception):
    """A bearer token no authenticator accepts; its text is TokenReview's status.error."""


def unauthorized() -> errors.Unauthorized:
    return errors.Unauthorized("Unauthorized")


# ------------------------------------------------------------------ static tokens
def parse_token_csv(text: str, source: str = "token file") -> dict[str, UserInfo]:
    """kube-apiserver's ``--token-auth-file``: token,user,uid[,"group1,group2"] per line."""
    out: dict[str, UserInfo] = {}
    for n, record in enumerate(csv.reader(text.splitlines()), start=1):
        if not record or (len(record) == 1 and not record[0].strip()):
            continue
        if len(record) < 3:
            raise ValueError(f"token file {source!r} must have at least 3 columns (token, user "
                             f"name, user uid), found {len(record)} on line {n}")
        token = record[0].strip()
        if not token:
            raise ValueError(f"token file {source!r} has an empty token on line {n}")
        groups = tuple(g.strip() for g in record[3].split(",") if g.strip()) \
            if len(record) > 3 else ()
        out[token] = UserInfo(record[1].strip(), record[2].strip(), groups)
    return out


def read_token_file(path: str) -> dict[str, UserInfo]:
    with open(path, newline="") as f:
        return parse_token_csv(f.read(), path)


# ------------------------------------------------------------------ service-account tokens
def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class ServiceAccountTokens:
    """Signs TokenRequest claims and verifies the tokens it signed."""

    def __init__(self, key: bytes, store: Store, clock: Clock, kid: str = "minik8s") -> None:
        self._key = key
        self.store = store
        self.clock = clock
        self.kid = kid
        #: token → (user, expiry, namespace, name, sa uid): verified once, re-checked cheaply
        self._verified: dict[str, tuple[UserInfo, float, str, str, str]] = {}

    def sign(self, claims: Obj) -> str:
        """The registry's ``token_signer``: adds jti/nbf and signs (HS256)."""
        body = dict(claims)
        body.setdefault("jti", str(uuid.uuid4()))
        body.setdefault("nbf", body.get("iat"))
        head = _b64(orjson.dumps({"alg": "HS256", "kid": self.kid, "typ": "JWT"}))
        payload = _b64(orjson.dumps(body))
        mac = hmac.new(self._key, f"{head}.{payload}".encode(), hashlib.sha256).digest()
        return f"{head}.{payload}.{_b64(mac)}"

    def verify(self, token: str) -> UserInfo:
        hit = self._verified.get(token)
        if hit is None:
            hit = remember(self._verified, token, self._verify(token), CACHE_SIZE)
        user, exp, ns, name, uid = hit
        if self.clock.now() >= exp:
            self._verified.pop(token, None)
            raise InvalidToken("service account token has expired")
        sa = self.store.get("serviceaccounts", ns, name)
        if sa is None:
            raise InvalidToken(f'serviceaccounts "{name}" not found')
        if sa["metadata"].get("uid") != uid:
            raise InvalidToken(f"service account UID ({sa['metadata'].get('uid')}) does not "
                               f"match claim ({uid})")
        return user

    def _verify(self, token: str) -> tuple[UserInfo, float, str, str, str]:
        parts = token.split(".")
        if len(parts) != 3:
            raise InvalidToken("invalid bearer token")
        try:
            head = orjson.loads(_unb64(parts[0]))
            claims = orjson.loads(_unb64(parts[1]))
            sig = _unb64(parts[2])
        except (ValueError, orjson.JSONDecodeError):
            raise InvalidToken("invalid bearer token") from None
        if not isinstance(head, dict) or head.get("alg") != "HS256" or not isinstance(claims, dict):
            raise InvalidToken("invalid bearer token")
        mac = hmac.new(self._key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(mac, sig):
            raise InvalidToken("invalid bearer token")
        if claims.get("iss") != ISSUER:
            raise InvalidToken("invalid bearer token")
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        if not any(a in API_AUDIENCES for a in auds):
            raise InvalidToken("token audiences is invalid")
        k8s = claims.get("kubernetes.io") or {}
        sa = k8s.get("serviceaccount") or {}
        ns, name, uid = k8s.get("namespace"), sa.get("name"), sa.get("uid")
        if not (isinstance(ns, str) and isinstance(name, str) and ns and name):
            raise InvalidToken("invalid bearer token")
        if isinstance(claims.get("nbf"), (int, float)) and self.clock.now() < claims["nbf"]:
            raise InvalidToken("service account token is not valid yet")
        extra: dict[str, tuple[str, ...]] = {}
        if claims.get("jti"):
            extra[CREDENTIAL_ID] = (f"JTI={claims['jti']}",)
        user = UserInfo(sa_username(ns, name), str(uid or ""),
                        with_authenticated(sa_groups(ns)), extra)
        return user, float(claims.get("exp") or 0), ns, name, str(uid or "")


# ------------------------------------------------------------------ the chain
class Authenticator:
    def __init__(self, static: Mapping[str, UserInfo], sa_tokens: ServiceAccountTokens,
                 anonymous: bool) -> None:
        self.static = {t: UserInfo(u.name, u.uid, with_authenticated(u.groups), u.extra)
                       for t, u in static.items()}
        self.sa_tokens = sa_tokens
        self.anonymous = anonymous

    def token(self, token: str) -> UserInfo:
        """The user a bearer token names; ``InvalidToken`` when none does."""
        user = self.static.get(token)
        if user is not None:
            return user
        if token.count(".") == 2:
            return self.sa_tokens.verify(token)
        raise InvalidToken("invalid bearer token")

    def request(self, headers: Mapping[str, str]) -> UserInfo:
        """The user of an HTTP request; raises 401 ``Unauthorized``."""
        header = headers.get("Authorization")
        if header:
            scheme, _, token = header.strip().partition(" ")
            token = token.strip()
            if scheme.lower() == "bearer" and token:
                try:
                    return self.token(token)
                except InvalidToken:
                    raise unauthorized() from None
        if self.anonymous:
            return ANONYMOUS_USER
        raise unauthorized()
