"""Where a webhook may go: public addresses, https outside development, the operator's allow-list."""

import pytest
from liaison_shared.settings import Settings
from notify.adapters.webhooks import RefusedDestination, checked_addresses

pytestmark = pytest.mark.unit

PUBLIC = "93.184.215.14"
PRODUCTION = Settings(dev_mode=False)
DEVELOPMENT = Settings(dev_mode=True)


async def test_https_to_a_public_address_is_allowed_in_production():
    assert [str(a) for a in await checked_addresses(f"https://{PUBLIC}/hooks", PRODUCTION)] == [PUBLIC]


async def test_plain_http_is_refused_in_production_and_allowed_in_development():
    with pytest.raises(RefusedDestination, match="https"):
        await checked_addresses(f"http://{PUBLIC}/hooks", PRODUCTION)
    assert await checked_addresses(f"http://{PUBLIC}/hooks", DEVELOPMENT)


@pytest.mark.parametrize("host", [
    "127.0.0.1", "0x7f000001", "2130706433", "0177.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "[64:ff9b::a00:1]",
    "[2002:a00:1::]", "169.254.169.254", "[fe80::1]", "10.1.2.3", "172.31.0.1", "192.168.0.1", "100.64.0.1",
    # S104: addresses the test expects refused
    "0.0.0.0", "[::]", "224.0.0.251", "[ff02::1]", "255.255.255.255", "240.0.0.1", "192.0.2.10", "localhost",  # noqa: S104
])
async def test_internal_addresses_in_any_spelling_are_refused_even_in_development(host):
    with pytest.raises(RefusedDestination, match="address not allowed|not a valid URL"):
        await checked_addresses(f"https://{host}:8443/", DEVELOPMENT)


async def test_the_allowlist_names_a_host_an_address_or_a_range():
    by_name = Settings(dev_mode=False, webhook_allowlist=["LocalHost"])
    assert await checked_addresses("http://localhost:8080/", by_name)  # http too: the operator's own receiver
    by_range = Settings(dev_mode=False, webhook_allowlist=["10.20.0.0/16"])
    assert await checked_addresses("http://10.20.3.4/", by_range)
    with pytest.raises(RefusedDestination):
        await checked_addresses("http://10.21.3.4/", by_range)
    with pytest.raises(RefusedDestination):  # a range does not allow a name that resolves elsewhere
        await checked_addresses("http://localhost/", by_range)


@pytest.mark.parametrize("url", ["ftp://93.184.215.14/", "file:///etc/passwd", "https://user:pw@93.184.215.14/",
                                 "gopher://93.184.215.14:70/"])
async def test_other_schemes_and_credentials_are_refused(url):
    with pytest.raises(RefusedDestination):
        await checked_addresses(url, DEVELOPMENT)
