"""The webhook transport: each delivery is POSTed as JSON to ``OUTBOX_WEBHOOK_URL``.

It stands in for a platform that has no native adapter in this process, and is
how the multi-instance tests and the fan-out benchmark talk to a local fake
platform. The request carries the outbox idempotency key (body and
``Idempotency-Key`` header); ``GET {url}/{key}`` answers whether a delivery
with that key already arrived, which lets a crashed sender's rows be confirmed
instead of sent twice.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import aiohttp

from conversations.delivery import Delivery, DeliveryError


def _person(person: Any) -> dict[str, Any]:
    return {"id": person.id, "platform_user_id": person.platform_user_id, "name": person.label}


def body(delivery: Delivery) -> dict[str, Any]:
    return {
        "key": delivery.key,
        "outbox_id": delivery.outbox_id,
        "attempt": delivery.attempt,
        "workspace": {
            "platform": delivery.workspace.platform,
            "external_id": delivery.workspace.external_id,
        },
        "channel": delivery.channel,
        "pair_id": delivery.pair.id if delivery.pair is not None else None,
        "to": [_person(p) for p in delivery.recipients],
        "conversation": delivery.conversation,
        "message": delivery.message.to_json(),
    }


class WebhookTransport:
    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self._url = url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._client: aiohttp.ClientSession | None = None

    def _session(self) -> aiohttp.ClientSession:
        if self._client is None or self._client.closed:
            self._client = aiohttp.ClientSession(timeout=self._timeout)
        return self._client

    async def send(self, delivery: Delivery) -> str | None:
        try:
            async with self._session().post(
                self._url, json=body(delivery), headers={"Idempotency-Key": delivery.key}
            ) as response:
                if response.status == 429:
                    retry = response.headers.get("Retry-After", "1")
                    raise DeliveryError(
                        "rate limited (429)", retry_after=float(retry) if retry.isdigit() else 1.0
                    )
                if response.status >= 500:
                    raise DeliveryError(f"endpoint error {response.status}")
                if response.status >= 400:
                    raise DeliveryError(
                        f"refused ({response.status}): {(await response.text())[:200]}",
                        permanent=True,
                    )
                data = await response.json(content_type=None)
                return str(data.get("id")) if isinstance(data, dict) and data.get("id") else None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"endpoint unreachable: {type(exc).__name__}") from None

    async def confirm(self, delivery: Delivery) -> str | None:
        try:
            async with self._session().get(f"{self._url}/{quote(delivery.key, safe='')}") as r:
                if r.status != 200:
                    return None
                data = await r.json(content_type=None)
                return str(data.get("id")) if isinstance(data, dict) else None
        except (aiohttp.ClientError, TimeoutError):
            return None

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
