"""The async clients of a store on a served engine: one pymilvus ``AsyncMilvusClient`` per event loop.

An ``AsyncMilvusClient``'s channel belongs to the event loop it was made in, so a store made in one loop and
used in another (``asyncio.run`` twice, a framework's own loop) gets a client for each. Each is the store's
own connection (pymilvus 2.6 would otherwise share one between the clients of an address, and closing one
would close it for all). A Milvus Lite file has none: its async calls run the blocking ones in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import uuid
import weakref
from typing import Any

from milvus_model_adapters.store.connection import milvus_errors


class AsyncClients:
    """The ``AsyncMilvusClient`` of each event loop a served store is used in."""

    def __init__(self, uri: str, *, token: str | None, db_name: str | None, timeout: float) -> None:
        """Clients of the server at ``uri``, made when a loop first asks."""
        self.uri = uri
        self._options: dict[str, Any] = {"uri": uri, "token": token or "", "db_name": db_name or "", "timeout": timeout}
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()

    def current(self) -> Any:
        """The running loop's client, made on first use.

        Raises:
            RuntimeError: Outside a running event loop.
            MilvusOperationError: If the client cannot be made.
        """
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            with milvus_errors("open an async client"):
                client = _async_client(self._options)
            self._clients[loop] = client
        return client

    def close(self) -> None:
        """Close the running loop's client, if called from that loop; the others end with their loops."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        client = self._clients.pop(loop, None)
        if client is not None:
            loop.create_task(_close(client))

    async def aclose(self) -> None:
        """Close the running loop's client."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await _close(client)


def _async_client(options: dict[str, Any]) -> Any:
    """A new ``AsyncMilvusClient`` with a connection of its own."""
    from pymilvus import AsyncMilvusClient

    if int(importlib.metadata.version("pymilvus").split(".")[0]) >= 3:
        return AsyncMilvusClient(**options, dedicated=True)
    return AsyncMilvusClient(**options, alias=f"milvus-model-adapters-{uuid.uuid4().hex}")


async def _close(client: Any) -> None:
    with contextlib.suppress(Exception):
        await client.close()
