"""Signed webhooks: ``X-Integrity-Signature: sha256=<hex>`` = HMAC-SHA256(key's webhook secret, raw body).

Callback URLs are validated when they are given (http/https, no credentials, and — unless
``settings.webhook_allow_private`` — no loopback, private or link-local address, checked again at
delivery time so DNS cannot be switched to an internal host afterwards). Delivery is retried with
exponential backoff up to ``settings.webhook_max_attempts``; receivers deduplicate by
``X-Integrity-Delivery`` (the check id).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
from typing import Any
from urllib.parse import urlsplit

import httpx

from integrity.errors import IntegrityError
from integrity.settings import Settings
from service.db import Database
from service.models import ApiKey, Job

log = logging.getLogger(__name__)


class InvalidCallbackUrl(IntegrityError):
    code = "invalid_callback_url"
    http_status = 422


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, body), signature)


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def embedded_ipv4(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (mapped, compatible, 6to4, Teredo, NAT64): each of them
    is checked too, since such an address reaches the IPv4 host it embeds."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    value = int(ip)
    if value >> 32 == 0 and value > 1:  # ::a.b.c.d (IPv4-compatible, deprecated but routable by some stacks)
        found.append(ipaddress.IPv4Address(value & 0xFFFFFFFF))
    if any(ip in net for net in _NAT64):
        found.append(ipaddress.IPv4Address(value & 0xFFFFFFFF))
    return found


def never_a_callback(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Multicast, broadcast and unspecified addresses are no webhook receiver, private network or not."""
    return any(
        a.is_multicast or a.is_unspecified or a == ipaddress.IPv4Address("255.255.255.255")
        for a in [ip, *embedded_ipv4(ip)]
    )


def refused_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Not a public unicast address, itself or any IPv4 address it embeds."""
    return any(not a.is_global or a.is_multicast or a.is_reserved for a in [ip, *embedded_ipv4(ip)]) or (
        never_a_callback(ip)
    )


def _literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


def validate_callback_url(url: str, settings: Settings, *, resolve: bool = True) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidCallbackUrl(
            "回调地址无效：必须是 http:// 或 https:// 开头的完整网址", detail={"url": url}
        )
    if parts.username or parts.password:
        raise InvalidCallbackUrl("回调地址不能包含用户名或密码", detail={"url": url})
    if len(url) > 2000:
        raise InvalidCallbackUrl("回调地址过长（最多 2000 个字符）", detail={"limit": 2000})
    literal = _literal(parts.hostname)
    if literal is not None and never_a_callback(literal):
        raise InvalidCallbackUrl(
            "回调地址是组播、广播或未指定地址，不能接收回调", detail={"url": url, "address": str(literal)}
        )
    if settings.webhook_allow_private or not resolve:
        return url
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except OSError as exc:
        raise InvalidCallbackUrl(f"回调地址的主机名无法解析：{parts.hostname}", detail={"url": url}) from exc
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if refused_address(ip):
            raise InvalidCallbackUrl(
                "回调地址指向内网、回环或保留地址，已拒绝（可由管理员设置 INTEGRITY_WEBHOOK_ALLOW_PRIVATE）",
                detail={"url": url, "address": str(ip)},
            )
    return url


def backoff_delay(settings: Settings, attempt: int) -> float:
    """Delay before retry number ``attempt`` (1-based): base, 2·base, 4·base …, at most 10 minutes."""
    return float(min(settings.webhook_backoff_s * 2 ** (attempt - 1), 600.0))


def payload(job: Job) -> dict[str, Any]:
    from service.jobs import job_to_dict

    return {"event": f"{job.kind}.{job.status}", **job_to_dict(job)}


def deliver_once(job_id: str, settings: Settings, db: Database) -> str:
    """One delivery attempt. Returns ``delivered``, ``retry`` or ``failed`` (final) and records it."""
    with db.session() as s:
        job = s.get(Job, job_id)
        if job is None or not job.callback_url or job.webhook_status in ("delivered", "failed"):
            return "delivered" if job is not None and job.webhook_status == "delivered" else "failed"
        key = s.get(ApiKey, job.key_id) if job.key_id else None
        secret = key.webhook_secret if key is not None else ""
        body = json.dumps(payload(job), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        url = job.callback_url
        job.webhook_attempts += 1
        attempt = job.webhook_attempts
    ok = False
    try:
        validate_callback_url(url, settings)
        resp = httpx.post(
            url,
            content=body,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-Integrity-Signature": sign(secret, body),
                "X-Integrity-Delivery": job_id,
                "X-Integrity-Attempt": str(attempt),
                "User-Agent": "integrity-webhook/1",
            },
            timeout=settings.webhook_timeout_s,
            follow_redirects=False,
        )
        ok = 200 <= resp.status_code < 300
        if not ok:
            log.warning("webhook %s: HTTP %s (attempt %d)", job_id, resp.status_code, attempt)
    except InvalidCallbackUrl as exc:
        log.warning("webhook %s: %s", job_id, exc.message)
        attempt = settings.webhook_max_attempts  # do not retry a forbidden target
    except httpx.HTTPError as exc:
        log.warning("webhook %s: %s (attempt %d)", job_id, exc, attempt)
    state = "delivered" if ok else ("failed" if attempt >= settings.webhook_max_attempts else "retry")
    with db.session() as s:
        job = s.get(Job, job_id)
        if job is not None:
            job.webhook_status = "pending" if state == "retry" else state
    return state
