"""Readiness and writes while PostgreSQL is unreachable (a TCP proxy cut in front of it)."""

from urllib.parse import urlsplit, urlunsplit

import pytest
from liaison_tools.testing import TcpProxy, eventually, running, token_for

pytestmark = pytest.mark.integration


def via_proxy(url: str, port: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{port}"))


async def test_readyz_is_503_without_the_database_writes_say_retry_and_all_recovers(
    platform, service_specs
):
    pg_port = urlsplit(platform.database_url).port
    proxy = await TcpProxy(pg_port).start()
    settings = platform.model_copy(update={"database_url": via_proxy(platform.database_url, proxy.port)})
    admin = token_for(settings, "admin", "640200000000")
    try:
        async with running(service_specs["members"], settings) as client:
            await eventually(lambda: _status(client, 200))
            await proxy.cut()
            down = await eventually(lambda: _status(client, 503))
            assert down.json()["database"]["up"] is False
            write = await client.post("/api/v1/org-units", headers=admin,
                                      json={"code": "640200000000", "name": "石嘴山市"})
            assert write.status_code == 503
            assert write.headers["retry-after"].isdigit()
            assert write.json()["error"]["code"] == "unavailable"
            await proxy.restore()
            await eventually(lambda: _status(client, 200))
            again = await client.get("/api/v1/org-units")
            assert again.status_code == 200
    finally:
        await proxy.stop()


async def _status(client, expected):
    response = await client.get("/readyz")
    return response if response.status_code == expected else None
