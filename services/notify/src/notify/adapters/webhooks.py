"""Webhooks: where a delivery may go, how it is signed and sent, and its sealed secret.

A subscriber names a URL, and the platform must not become its way into the platform's own
network (SSRF). Every address the host resolves to must be a public one — when the
subscription is made, and again at each sending, since a name can point elsewhere in between
(DNS rebinding) — unless the operator allows it (``WEBHOOK_ALLOWLIST``: a host name, an
address or a CIDR range). The request goes to the very address that was checked, redirects
are not followed, and only ``https`` is allowed outside development mode (or to an allowed
host). What a receiver answers is never repeated to the caller: the delivery log says
"HTTP 500", never the body.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import socket
import time
import uuid

import httpx
from liaison_shared import crypto
from liaison_shared.settings import Settings
from liaison_shared.uow import outside_transaction

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.ip_network("64:ff9b::/96")
SHARED_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: not reachable from outside
RESOLVE_TIMEOUT_S = 5.0


class RefusedDestination(ValueError):
    """The URL may not receive webhooks; the message is safe to show (it names no answer)."""


class Unresolved(OSError):
    """The host has no address now (perhaps only for now: a delivery retries)."""


def _is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not _is_public(embedded):
            return False
    return not (address.is_private or address.is_loopback or address.is_link_local or address.is_multicast
                or address.is_reserved or address.is_unspecified or address in SHARED_SPACE
                or not address.is_global)


class Allowlist:
    """``WEBHOOK_ALLOWLIST`` parsed: host names (matched against the URL), and addresses or networks
    (matched against every resolved address)."""

    def __init__(self, entries: list[str]) -> None:
        self.names: set[str] = set()
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in entries:
            try:
                self.networks.append(ipaddress.ip_network(entry.strip().strip("[]"), strict=False))
            except ValueError:
                self.names.add(_name(entry))

    def names_host(self, host: str) -> bool:
        return _name(host) in self.names

    def holds(self, address: Address) -> bool:
        return any(address in network for network in self.networks)


def _name(host: str) -> str:
    return host.strip().lower().rstrip(".")


async def resolve(host: str, port: int) -> list[Address]:
    """Every address of ``host`` (a name, or an address in any form the resolver reads:
    ``0x7f000001``, ``2130706433``, ``0177.0.0.1``)."""
    try:
        found = await asyncio.wait_for(
            asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_S)
    except (socket.gaierror, UnicodeError, TimeoutError):
        raise Unresolved("host does not resolve") from None
    addresses = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise Unresolved("host does not resolve")
    return addresses


async def checked_addresses(url: str, settings: Settings) -> list[Address]:
    """The addresses a delivery to ``url`` may connect to, all of them checked; else refused."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise RefusedDestination("not a valid URL") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise RefusedDestination("only http and https URLs with a host")
    if parsed.userinfo:
        raise RefusedDestination("credentials in the URL are not allowed")
    allowed = Allowlist(settings.webhook_allowlist)
    named = allowed.names_host(parsed.host)
    addresses = await resolve(parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80))
    if not named and not all(_is_public(a) or allowed.holds(a) for a in addresses):
        raise RefusedDestination("address not allowed")
    if parsed.scheme != "https" and not (settings.dev_mode or named or all(allowed.holds(a) for a in addresses)):
        raise RefusedDestination("https is required")
    return addresses


# --- The signing secret, sealed at rest with the master key -----------------------------------

SECRET_FIELD = "webhook_secret"  # noqa: S105 — the name it is sealed as, no secret
# Where notify keeps what the master key sealed, for `liaison rewrap`.
MASTER_SEALED = [crypto.MasterSealed("subscriptions", "secret_sealed", "id", SECRET_FIELD),
                 crypto.MasterSealed("subscriptions", "previous_secret_sealed", "id", SECRET_FIELD)]

def seal_secret(settings: Settings, subscription_id: uuid.UUID, secret: str) -> bytes:
    """Sealed under the current master key (``CRYPTO_SUITE``), bound to the subscription (a sealed
    secret copied to another row does not open there). The secret a rotation replaced is sealed
    alike, as the same field: it is the same subscription's secret."""
    return crypto.keyring(settings).seal_secret(subscription_id, SECRET_FIELD, secret)


def open_secret(settings: Settings, subscription_id: str, sealed: bytes) -> str:
    return crypto.keyring(settings).open_secret(uuid.UUID(subscription_id), SECRET_FIELD, sealed)


# --- Sending ------------------------------------------------------------------------------

class DeliveryRefused(Exception):
    """The receiver answered, but not with a 2xx (the message holds the status only)."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over ``timestamp.body``: the receiver checks both."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def standard_signature(secret: str, delivery_id: str, timestamp: str, body: bytes) -> str:
    """Standard Webhooks' ``v1,<base64>`` over ``id.timestamp.body``, keyed with the secret's
    bytes: it signs the delivery id too, which receivers deduplicate on."""
    mac = hmac.new(secret.encode(), f"{delivery_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


async def post(settings: Settings, row) -> None:
    """One signed delivery, to an address checked just now."""
    outside_transaction("a webhook")
    if row["url"] is None:
        raise RefusedDestination("subscription ended")
    # a row from before sealing, in the moment before the start job seals it
    secret = (open_secret(settings, row["recipient_id"], row["secret_sealed"]) if row["secret_sealed"] is not None
              else row["secret"])
    # after a rotation, until its overlap ends: the replaced secret signs too (webhook-signature only)
    previous = (open_secret(settings, row["recipient_id"], row["previous_secret_sealed"])
                if row.get("previous_secret_sealed") is not None else None)
    await send_signed(settings, row["url"], delivery_id=row["id"], body=row["body"].encode(),
                      secrets=[s for s in (secret, previous) if s is not None],
                      content_type="application/cloudevents+json; charset=utf-8")


async def send_signed(settings: Settings, target: str, *, delivery_id: str, body: bytes, secrets: list[str],
                      content_type: str) -> None:
    """POST ``body`` signed with ``secrets`` (the first also for ``x-liaison-signature``) to an
    address of ``target`` checked just now; any other answer than a 2xx raises. Every webhook
    goes this way: subscriptions' CloudEvents and the 12345 hotline's messages (adapters.hotline)."""
    outside_transaction("a webhook")
    url = httpx.URL(target)
    address = (await checked_addresses(target, settings))[0]
    timestamp = str(int(time.time()))
    headers = {
        "host": url.netloc.decode("ascii"),
        "content-type": content_type,
        "x-liaison-timestamp": timestamp,
        "x-liaison-signature": signature(secrets[0], timestamp, body),
        "x-liaison-delivery": delivery_id,  # the same on every retry: receivers may dedupe on it
        # the same, by the Standard Webhooks spec (standardwebhooks.com), for receivers' libraries
        "webhook-id": delivery_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": " ".join(standard_signature(s, delivery_id, timestamp, body) for s in secrets),
    }
    # connect to the checked address; TLS still names (and verifies) the host of the URL
    extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
    # the status is all we read: a receiver's body is neither kept nor loaded
    async with (
        httpx.AsyncClient(timeout=10, follow_redirects=False, trust_env=False) as client,
        client.stream("POST", url.copy_with(host=str(address)), content=body, headers=headers,
                      extensions=extensions) as response,
    ):
        status = response.status_code
    if not 200 <= status < 300:
        raise DeliveryRefused(f"HTTP {status}")
