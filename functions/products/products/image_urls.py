"""The rule for product image URLs: absolute https URLs on a public host.

Refused: any scheme but https; credentials in the URL; a missing host; `localhost` and
the `.localhost`, `.local`, `.internal`, `.lan`, `.home.arpa` names; any IP literal that is
not a global unicast address (loopback, private, link-local, unique-local, CGNAT, multicast,
reserved, unspecified), including IPv4 written as one number, in hex or in octal; over 2,048
characters; spaces or control characters anywhere (percent-encode them). Hostnames are not resolved
here (DNS can change after validation), so whatever
fetches images server-side must still refuse private addresses when it connects.
"""
from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from marshmallow import ValidationError, fields

MAX_LENGTH = 2048
_PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".intranet", ".corp")
_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$")
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$")


def _ipv4_from_numeric(host: str) -> ipaddress.IPv4Address | None:
    """inet_aton-style parsing ("2130706433", "0x7f.1", "0177.0.0.1"), as browsers and curl do."""
    if not _NUMERIC_HOST.match(host):
        return None
    parts = []
    for part in host.split("."):
        if part.startswith("0x"):
            parts.append(int(part, 16))
        elif len(part) > 1 and part.startswith("0"):
            parts.append(int(part, 8) if all(c in "01234567" for c in part) else -1)
        else:
            parts.append(int(part))
    if any(p < 0 for p in parts):
        return None
    *head, last = parts
    if any(p > 255 for p in head) or last >= 256 ** (4 - len(head)):
        return None
    value = 0
    for p in head:
        value = value * 256 + p
    value = value * 256 ** (4 - len(head)) + last
    return ipaddress.IPv4Address(value)


def check(url: str) -> str:
    if not isinstance(url, str) or not url.strip():
        raise ValidationError("Must be an https URL.")
    url = url.strip()
    if len(url) > MAX_LENGTH:
        raise ValidationError(f"Must be at most {MAX_LENGTH} characters.")
    if _SPACE_OR_CONTROL.search(url):
        raise ValidationError("Must not contain spaces or control characters (percent-encode them).")
    try:
        parts = urlsplit(url)
        port = parts.port  # noqa: F841 - raises on a bad port
    except ValueError:
        raise ValidationError("Is not a valid URL.") from None
    if parts.scheme.lower() != "https":
        raise ValidationError("Must use https.")
    if parts.username is not None or parts.password is not None:
        raise ValidationError("Must not contain credentials.")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise ValidationError("Must have a host.")
    address: ipaddress.IPv4Address | ipaddress.IPv6Address | None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = _ipv4_from_numeric(host)
    if address is not None:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast:
            raise ValidationError("Must not point to a private, loopback or reserved address.")
        return url
    if host == "localhost" or host.endswith(_PRIVATE_SUFFIXES) or "." not in host:
        raise ValidationError("Must be a public host name.")
    if not _HOST.match(host):
        raise ValidationError("Has an invalid host name.")
    return url


class ImageUrl(fields.String):
    OPENAPI = {"type": "string", "maxLength": MAX_LENGTH, "example": "https://images.example.com/shirt.jpg",
               "pattern": r"^[Hh][Tt][Tt][Pp][Ss]://[^\s/?#]+([/?#]\S*)?$",
               "description": "https on a public host (no credentials, no IP literals of private ranges, no .local, "
                              ".internal …); no spaces or control characters."}

    def _deserialize(self, value, attr, data, **kwargs):
        return check(super()._deserialize(value, attr, data, **kwargs))
