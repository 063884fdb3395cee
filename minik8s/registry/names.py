"""Object names: validation as the real API server words it, and generation.

Neighbours: ``registry.strategy`` picks which rule applies to which kind.
"""

from __future__ import annotations

import random
import re

from minik8s.api.errors import FieldError

DNS1123_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN_RE = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1035_LABEL_RE = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
    "an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)

#: what utilrand.String draws from: no vowels, no confusable characters
ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"
GENERATE_SUFFIX = 5
MAX_GENERATED_NAME = 63  # generateName prefixes are cut to leave room for the suffix


def check_subdomain(value: str) -> list[str]:
    errs = []
    if len(value) > 253:
        errs.append("must be no more than 253 characters")
    if not DNS1123_SUBDOMAIN_RE.match(value):
        errs.append(SUBDOMAIN_MSG)
    return errs


def check_label(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not DNS1123_LABEL_RE.match(value):
        errs.append(LABEL_MSG)
    return errs


def check_dns1035(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not DNS1035_LABEL_RE.match(value):
        errs.append(DNS1035_MSG)
    return errs


def check_path_segment(value: str) -> list[str]:
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    for bad in ("/", "%"):
        if bad in value:
            return [f"may not contain '{bad}'"]
    return []


RULES = {
    "subdomain": check_subdomain,
    "label": check_label,
    "dns1035": check_dns1035,
    "path": check_path_segment,
}


def validate_name(rule: str, name: str, field: str = "metadata.name") -> list[FieldError]:
    return [FieldError("invalid", field, name, msg) for msg in RULES[rule](name)]


class NameGenerator:
    """Random suffixes and uids; seeded for reproducible runs."""

    def __init__(self, seed: int | None = None) -> None:
        self.rng = random.Random(seed)

    def suffix(self, n: int = GENERATE_SUFFIX) -> str:
        """``n`` × ``rng.choice(ALPHANUMS)``, drawn as ``choice`` draws (rejection sampling
        over ``getrandbits``), so seeded runs keep their names, at a third of the cost."""
        bits = self.rng.getrandbits
        m = len(ALPHANUMS)
        k = m.bit_length()
        out = []
        for _ in range(n):
            r = bits(k)
            while r >= m:
                r = bits(k)
            out.append(ALPHANUMS[r])
        return "".join(out)

    def generate(self, prefix: str) -> str:
        if len(prefix) > MAX_GENERATED_NAME - GENERATE_SUFFIX:
            prefix = prefix[: MAX_GENERATED_NAME - GENERATE_SUFFIX]
        return prefix + self.suffix()

    def uid(self) -> str:
        """``str(uuid.UUID(int=rng.getrandbits(128), version=4))``, the same text from the
        same draw, without building a ``UUID`` (a create and its events each take one)."""
        n = (self.rng.getrandbits(128) & _UUID4_CLEAR) | _UUID4_SET
        h = f"{n:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


#: the bits ``uuid.UUID(version=4)`` forces: variant RFC 4122 (10xx), version 4 (0100)
_UUID4_CLEAR = ~((0xc000 << 48) | (0xf000 << 64))
_UUID4_SET = (0x8000 << 48) | (4 << 76)
