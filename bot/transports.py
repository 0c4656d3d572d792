"""Choosing how each platform's messages leave this process."""

from __future__ import annotations

from dataclasses import dataclass

from conversations.delivery import Delivery, DeliveryError, Transport


@dataclass
class Router:
    """Sends each delivery through its workspace's platform transport."""

    routes: dict[str, Transport]

    @property
    def platforms(self) -> frozenset[str]:
        return frozenset(self.routes)

    def _route(self, delivery: Delivery) -> Transport:
        transport = self.routes.get(delivery.workspace.platform)
        if transport is None:
            raise DeliveryError(f"no transport for {delivery.workspace.platform}", permanent=True)
        return transport

    async def send(self, delivery: Delivery) -> str | None:
        return await self._route(delivery).send(delivery)

    async def confirm(self, delivery: Delivery) -> str | None:
        confirm = getattr(self._route(delivery), "confirm", None)
        return await confirm(delivery) if confirm is not None else None

    async def close(self) -> None:
        for transport in self.routes.values():
            close = getattr(transport, "close", None)
            if close is not None:
                await close()
