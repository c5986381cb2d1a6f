"""The one outbound HTTP client for URLs people give okrbot (webhook subscriptions): it
cannot be turned inward.

A URL's host is resolved, and every address it resolves to must be a public one: loopback,
private, link-local (cloud metadata at 169.254.169.254), unique-local, multicast,
unspecified and reserved addresses are refused, in every notation (`127.1`, `0x7f000001`,
`2130706433`, `[::ffff:127.0.0.1]`), as are the metadata host names. The check runs when the
URL is registered and again at every delivery, against the address then resolved, and the
delivery connects to exactly that address (no second lookup an attacker's DNS could answer
differently). Redirects are not followed: a 3xx is a failed attempt. Answers are read up to
a size and a time limit. `WEBHOOKS_ALLOW_PRIVATE=1` lifts the address rule (plain http
included) for local development and tests.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from standardwebhooks.webhooks import Webhook

TIMEOUT = 10.0  # seconds a receiver has to answer
MAX_ANSWER = 64 * 1024  # bytes of an answer read; the rest is not waited for
MAX_URL = 500
METADATA_HOSTS = frozenset(
    {"metadata", "metadata.google.internal", "metadata.azure.internal", "instance-data"}
)


class RefusedUrl(ValueError):
    """A URL okrbot will not post to; the message says why, for the person who gave it."""


@dataclass(frozen=True, kw_only=True)
class Target:
    """A checked URL: where to connect (an address already vetted) and what to ask for."""

    scheme: str
    host: str  # as written, for the Host header and TLS
    address: str  # the vetted IP address to connect to
    port: int
    path: str


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_unspecified
        or ip.is_reserved
    )


def check_url(url: str, *, allow_private: bool = False) -> Target:
    """The URL resolved to an address okrbot may post to; RefusedUrl saying why not."""
    if len(url) > MAX_URL or any(c.isspace() for c in url):
        raise RefusedUrl("is not a URL okrbot can post to (at most 500 characters, no spaces)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise RefusedUrl("is not a URL okrbot can post to (its port is not a number)") from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise RefusedUrl("is not an https URL okrbot can post to")
    if parts.username or parts.password:
        raise RefusedUrl("must not carry a user name or password; okrbot signs each delivery")
    host = parts.hostname.rstrip(".").lower()
    if host in METADATA_HOSTS and not allow_private:
        raise RefusedUrl("names a cloud metadata service, which okrbot never posts to")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise RefusedUrl(f"cannot be resolved ({error})") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses:
        raise RefusedUrl("cannot be resolved")
    if not allow_private:
        inward = [a for a in addresses if not _public(a)]
        if inward:
            raise RefusedUrl(
                f"resolves to {inward[0]}, a private, loopback, link-local or otherwise "
                "non-public address, which okrbot never posts to"
            )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=parts.scheme, host=host, address=addresses[0], port=port, path=path)


class _Pinned(http.client.HTTPConnection):
    """Plain HTTP to a vetted address."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    """HTTPS to a vetted address, with the certificate checked for the host name."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(raw, server_hostname=self.host)


class WebhookPoster:
    """Posts signed webhook deliveries to checked URLs (the WebhookSend port)."""

    def __init__(self, *, allow_private: bool = False, timeout: float = TIMEOUT) -> None:
        self.allow_private, self.timeout = allow_private, timeout

    def check(self, url: str) -> None:
        """RefusedUrl when `url` may not be posted to."""
        check_url(url, allow_private=self.allow_private)

    def __call__(self, url: str, secret: str, message_id: str, body: str) -> int:
        """POST `body` to `url` with `webhook-id`, `webhook-timestamp` (the real time now,
        which receivers check against theirs) and `webhook-signature`; the HTTP status it
        answered (a redirect is not followed). OSError when it could not be reached;
        RefusedUrl when the URL now resolves somewhere okrbot may not post."""
        target = check_url(url, allow_private=self.allow_private)
        timestamp = datetime.now(UTC)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "okrbot-webhooks",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": Webhook(secret).sign(message_id, timestamp, body),
        }
        kind = _PinnedTLS if target.scheme == "https" else _Pinned
        connection = kind(target, self.timeout)
        try:
            connection.request("POST", target.path, body=body.encode(), headers=headers)
            answer = connection.getresponse()
            answer.read(MAX_ANSWER)
            return int(answer.status)
        finally:
            connection.close()
