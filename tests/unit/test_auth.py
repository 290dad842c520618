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


def test_who_manages_a_unit_and_what_they_may_list():
    county, town, elsewhere = "640221000000", "640221100000", "640222000000"
    admin = Principal(sub="a", role=Role.ADMIN, org="640200000000")
    staff = Principal(sub="s", role=Role.STAFF, org=county)
    leader = Principal(sub="l", role=Role.LEADER, org=county)
    assert admin.may_manage(None) and admin.is_staff_over(None) and admin.managed_pattern == "%"
    assert staff.may_manage(town) and staff.is_staff_over(town) and staff.is_staff_over(county)
    assert not staff.may_manage(elsewhere) and not staff.is_staff_over(elsewhere) and not staff.may_manage(None)
    assert leader.may_manage(town) and not leader.is_staff_over(town)
    assert staff.managed_pattern == staff.subtree_pattern != "%"
