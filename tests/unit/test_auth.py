import time

import jwt
import pytest
from liaison_shared.auth import Principal, Role, TokenVerifier, issue_dev_token
from liaison_shared.errors import Unauthorized
from liaison_shared.settings import Settings

pytestmark = pytest.mark.unit

SETTINGS = Settings()
KEY = SETTINGS.auth_dev_secret.get_secret_value()


def claims(**overrides):
    now = int(time.time())
    base = {"sub": "staff-1", "role": "staff", "org": "640221000000",
            "iss": SETTINGS.auth_issuer, "aud": SETTINGS.auth_audience, "iat": now, "exp": now + 600}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def verify(token: str) -> Principal:
    return TokenVerifier(SETTINGS).verify(token)


def test_a_development_token_gives_its_principal():
    principal = verify(issue_dev_token(SETTINGS, role="staff", org="640221000000", sub="s1"))
    assert principal == Principal(sub="s1", role=Role.STAFF, org="640221000000")
    assert principal.covers("640221100201") and not principal.covers("640205000000")


@pytest.mark.parametrize(
    "token",
    [
        jwt.encode(claims(exp=int(time.time()) - 3600), KEY, algorithm="HS256"),
        jwt.encode(claims(iss="someone-else"), KEY, algorithm="HS256"),
        jwt.encode(claims(aud="another-app"), KEY, algorithm="HS256"),
        jwt.encode(claims(), "the-wrong-key-of-sufficient-length-0123456789", algorithm="HS256"),
        jwt.encode(claims(), None, algorithm="none"),
        jwt.encode(claims(role="emperor"), KEY, algorithm="HS256"),
        jwt.encode(claims(org="6402"), KEY, algorithm="HS256"),
        jwt.encode(claims(role="department"), KEY, algorithm="HS256"),  # no dept claim
        jwt.encode(claims(exp=None), KEY, algorithm="HS256"),
        "not-a-token",
    ],
    ids=["expired", "issuer", "audience", "signature", "alg-none", "role", "org", "dept", "no-exp", "garbage"],
)
def test_bad_tokens_are_refused(token):
    with pytest.raises(Unauthorized):
        verify(token)


def test_make_token_refuses_what_services_would_refuse():
    with pytest.raises(Unauthorized):
        issue_dev_token(SETTINGS, role="member", org="640221000000")  # no member_id
