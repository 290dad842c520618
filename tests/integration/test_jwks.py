"""Production tokens: verified against an OIDC issuer's JWKS, through a key rotation."""

import asyncio
import json
import time

import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from liaison_shared.auth import Role, TokenVerifier
from liaison_shared.errors import Unauthorized
from liaison_shared.settings import Settings
from liaison_tools.devstack import free_port
from liaison_tools.testing import eventually

pytestmark = pytest.mark.integration


class Issuer:
    """A JWKS endpoint whose published keys can change, as an identity provider rotates them."""

    def __init__(self, publish_kids: bool = True):
        self.keys = {}
        self.publish_kids = publish_kids

    def add_key(self, kid: str):
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        jwks = {"keys": [{**json.loads(RSAAlgorithm.to_jwk(key.public_key())), "use": "sig", "alg": "RS256",
                          **({"kid": kid} if self.publish_kids else {})} for kid, key in self.keys.items()]}
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": json.dumps(jwks).encode()})

    def token(self, kid: str, **claims) -> str:
        now = int(time.time())
        body = {"sub": "staff-1", "role": "staff", "org": "640221000000", "iss": "https://idp.example.cn",
                "aud": "cppcc-liaison", "iat": now, "exp": now + 600, **claims}
        return jwt.encode(body, self.keys[kid], algorithm="RS256", headers={"kid": kid})


async def test_tokens_verify_against_the_jwks_and_survive_a_key_rotation():
    issuer = Issuer()
    issuer.add_key("2026-a")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(issuer, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started)
    try:
        verifier = TokenVerifier(Settings(auth_jwks_url=f"http://127.0.0.1:{port}/jwks",
                                          auth_issuer="https://idp.example.cn", auth_jwks_refresh_cooldown_s=0))
        verify = lambda token: asyncio.to_thread(verifier.verify, token)  # noqa: E731 — PyJWKClient blocks
        assert (await verify(issuer.token("2026-a"))).role is Role.STAFF
        # the provider rotates: a new key is published and the old one withdrawn
        issuer.add_key("2026-b")
        del issuer.keys["2026-a"]
        assert (await verify(issuer.token("2026-b", sub="staff-2"))).sub == "staff-2"
        for bad in (jwt.encode({"sub": "x"}, None, algorithm="none"),
                    issuer.token("2026-b", aud="another-app"),
                    issuer.token("2026-b", iss="https://elsewhere.example.cn"),
                    issuer.token("2026-b", exp=int(time.time()) - 600)):
            with pytest.raises(Unauthorized):
                await verify(bad)
        # a development token is refused once a JWKS is configured
        from liaison_shared.auth import issue_dev_token

        with pytest.raises(Unauthorized):
            await verify(issue_dev_token(Settings(), role="admin", org="640200000000"))
    finally:
        server.should_exit = True
        await task


async def test_a_token_without_a_key_id_verifies_against_the_issuers_only_key():
    """OIDC Core 10.1: an issuer with one key may leave ``kid`` out of its tokens (oidc-provider-mock does);
    with several keys published, a token naming none is refused."""
    issuer = Issuer()
    issuer.add_key("only")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(issuer, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started)

    def without_kid(**claims) -> str:
        now = int(time.time())
        body = {"sub": "staff-3", "role": "staff", "org": "640221000000", "iss": "https://idp.example.cn",
                "aud": "cppcc-liaison", "iat": now, "exp": now + 600, **claims}
        return jwt.encode(body, issuer.keys["only"], algorithm="RS256")

    try:
        verifier = TokenVerifier(Settings(auth_jwks_url=f"http://127.0.0.1:{port}/jwks",
                                          auth_issuer="https://idp.example.cn", auth_jwks_refresh_cooldown_s=0))
        assert "kid" not in jwt.get_unverified_header(without_kid())
        assert (await asyncio.to_thread(verifier.verify, without_kid())).sub == "staff-3"
        with pytest.raises(Unauthorized):  # still the issuer's audience only
            await asyncio.to_thread(verifier.verify, without_kid(aud="another-app"))
        issuer.add_key("second")
        several = TokenVerifier(Settings(auth_jwks_url=f"http://127.0.0.1:{port}/jwks",
                                         auth_issuer="https://idp.example.cn"))
        with pytest.raises(Unauthorized):
            await asyncio.to_thread(several.verify, without_kid())
    finally:
        server.should_exit = True
        await task


async def test_a_token_whose_header_names_another_algorithm_is_refused_not_a_crash():
    """A token with no ``kid`` and ``alg: ES256`` against the issuer's RSA key: 401 — the key's own
    algorithm decides, the header cannot pick a different one (and no TypeError becomes a 500)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    issuer = Issuer()
    issuer.add_key("only")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(issuer, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started)
    now = int(time.time())
    body = {"sub": "x", "role": "admin", "org": "640200000000", "iss": "https://idp.example.cn",
            "aud": "cppcc-liaison", "iat": now, "exp": now + 600}
    forged = jwt.encode(body, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256")
    try:
        verifier = TokenVerifier(Settings(auth_jwks_url=f"http://127.0.0.1:{port}/jwks",
                                          auth_issuer="https://idp.example.cn", auth_jwks_refresh_cooldown_s=0))
        with pytest.raises(Unauthorized):
            await asyncio.to_thread(verifier.verify, forged)
    finally:
        server.should_exit = True
        await task


async def test_an_issuer_that_publishes_its_one_key_without_a_key_id_is_trusted():
    issuer = Issuer(publish_kids=False)
    issuer.add_key("unnamed")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(issuer, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started)
    now = int(time.time())
    token = jwt.encode({"sub": "staff-4", "role": "staff", "org": "640221000000", "iss": "https://idp.example.cn",
                        "aud": "cppcc-liaison", "iat": now, "exp": now + 600}, issuer.keys["unnamed"], algorithm="RS256")
    try:
        verifier = TokenVerifier(Settings(auth_jwks_url=f"http://127.0.0.1:{port}/jwks",
                                          auth_issuer="https://idp.example.cn", auth_jwks_refresh_cooldown_s=0))
        assert (await asyncio.to_thread(verifier.verify, token)).sub == "staff-4"
    finally:
        server.should_exit = True
        await task
