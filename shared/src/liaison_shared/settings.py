"""Settings from the environment — one place for all four services.

Every field reads the environment variable of the same name in upper case
(``kafka_bootstrap_servers`` ← ``KAFKA_BOOTSTRAP_SERVERS``). The README lists them all.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Required, TypedDict
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    import ssl

SERVICES = ("members", "consultation", "feedback", "notify")

# Development values: a service refuses to start with any of them unless DEV_MODE is on.
DEV_AUTH_SECRET = "cppcc-liaison-development-key-not-for-production"  # noqa: S105 — refused outside DEV_MODE
DEV_MASTER_KEY = "ZGV2ZWxvcG1lbnQtbWFzdGVyLWtleS0zMi1ieXRlcyE="
DEV_AUDIT_KEY = "cppcc-liaison-development-audit-key-not-for-production"
ServiceName = Literal["members", "consultation", "feedback", "notify"]


class KafkaClientOptions(TypedDict, total=False):
    """What aiokafka's producers, consumers and admin clients are given to connect (``**options``)."""

    bootstrap_servers: Required[str]
    security_protocol: Required[str]
    sasl_mechanism: str
    sasl_plain_username: str | None
    sasl_plain_password: str | None
    ssl_context: ssl.SSLContext


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", secrets_dir=None)

    # --- Kafka -------------------------------------------------------------------------
    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", description="Comma-separated host:port list of Kafka brokers."
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = (
        "PLAINTEXT"
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = Field(None, description="CA bundle for Kafka TLS.")
    kafka_idempotence: bool = Field(
        False,
        description="Idempotent producer. On for Apache Kafka; the embedded broker lacks "
        "InitProducerId, so it is off by default. Correctness never rests on it.",
    )
    kafka_topic_partitions: int = Field(6, ge=1)
    kafka_replication_factor: int = Field(1, ge=1)
    kafka_client_id_prefix: str = "cppcc-liaison"

    # --- PostgreSQL --------------------------------------------------------------------
    database_url: str = Field(
        "postgresql://postgres@127.0.0.1:5432/liaison?sslmode=disable",
        description="One database; each service owns a schema named after it.",
    )
    db_pool_max: int = Field(10, ge=1)
    db_command_timeout_s: float = Field(10.0, gt=0)
    db_acquire_timeout_s: float = Field(
        2.0, gt=0, description="How long a request waits for a connection before a 503."
    )

    # --- Outbox relay and consumers ----------------------------------------------------
    outbox_batch_size: int = Field(500, ge=1)
    outbox_poll_interval_s: float = Field(
        1.0, gt=0, description="Polling fallback: a commit wakes the relay in its process, or by NOTIFY from elsewhere."
    )
    outbox_linger_s: float = Field(
        0.01, ge=0, description="After a wake-up, how long the relay waits for more commits to send together."
    )
    outbox_retention_hours: float = Field(
        72.0, ge=0, description="Published outbox rows are kept this long, then purged."
    )
    inbox_retention_hours: float = Field(
        840.0, ge=0, description="Handled events' inbox rows are kept this long (35 days), then purged. Keep it "
        "above the event topics' retention (30 days): a redelivered event older than its row would be handled again."
    )
    consumer_max_attempts: int = Field(
        5, ge=1, description="Failures of one message before it goes to <topic>.dlq."
    )
    consumer_batch_size: int = Field(200, ge=1)
    consumer_fetch_wait_ms: int = Field(
        250, ge=1, description="How long the broker may hold a fetch for 32 KB to gather (fewer, larger fetches): "
        "the longest an event waits per hop when traffic is light. Each waiting fetch costs the broker; at 100 ms "
        "the embedded broker spent a tenth of two cores on an idle platform.",
    )
    fault_crash_after_publish: int = Field(
        0, ge=0, description="Fault testing only: once this many events are sent and before they are "
        "marked, the relay kills its own process (SIGKILL). 0: never.",
    )
    audit_seal_interval_s: float = Field(
        1.0, gt=0, description="How often the audit log's new rows are chained."
    )

    # --- Auth --------------------------------------------------------------------------
    auth_jwks_url: str | None = Field(
        None, description="OIDC issuer's JWKS URL. When unset, the development key is used."
    )
    auth_jwks_refresh_cooldown_s: float = Field(
        30.0, ge=0, description="Least time between two JWKS fetches for an unknown key id.",
    )
    auth_issuer: str = "cppcc-liaison-dev"
    auth_audience: str = "cppcc-liaison"
    auth_algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256", "EdDSA"])
    auth_dev_secret: SecretStr = Field(
        SecretStr(DEV_AUTH_SECRET),
        description="HS256 key of development tokens (`make token`); ignored with a JWKS URL.",
    )
    auth_token_url: str | None = Field(
        None, description="The issuer's OAuth2 token endpoint: services obtain their own tokens there "
        "by the client-credentials grant (SERVICE_CLIENT_ID / SERVICE_CLIENT_SECRET).",
    )
    service_client_id: str | None = Field(None, description="This service's OAuth2 client id at the issuer.")
    service_client_secret: SecretStr | None = Field(None, description="This service's OAuth2 client secret.")
    dev_mode: bool = Field(
        False, description="Development mode (`make run`, the tests): the development signing key, master "
        "key and audit key may be used. Off, a service refuses to start with any of them.",
    )

    # --- Feedback ------------------------------------------------------------------------
    deadline_normal_days: int = Field(15, ge=1, description="Working days to reply, normal cases.")
    deadline_urgent_days: int = Field(3, ge=1, description="Working days to reply, 急事快议.")
    return_window_days: int = Field(
        3, ge=1, description="Working days in which a department may return a wrong assignment."
    )
    deadline_scan_interval_s: float = Field(
        60.0, gt=0, description="How often the deadline scheduler looks for overdue cases."
    )
    public_rate_limit_per_minute: int = Field(
        30, ge=1, description="Public submissions and ratings per client address and minute."
    )
    trusted_proxies: list[str] = Field(
        default_factory=list, description="Addresses or CIDR ranges of the proxies (ingress) whose "
        "X-Forwarded-For is believed; from anyone else the header is ignored and the peer address counts.",
    )
    personal_data_retention_days: int = Field(
        365, ge=1, description="Days after a case closes when its submitter's personal data is erased."
    )
    retention_scan_interval_s: float = Field(
        3600.0, gt=0, description="How often the retention job looks for personal data past its time."
    )
    duplicate_similarity_threshold: float = Field(
        0.25, ge=0, le=1, description="关注多: how similar (Dice of character grams, 0–1) an open case must be "
        "to be suggested as saying the same thing; tuned on tests/data/duplicates.jsonl.",
    )
    open311_rate_limit_per_minute: int = Field(
        60, ge=1, description="Open311 requests (GeoReport v2) per api_key and minute, counted per process; "
        "429 with Retry-After beyond.",
    )

    # --- Check-in (扫码签到, members) ----------------------------------------------------
    checkin_secret: SecretStr | None = Field(
        None, description="Key of the signed check-in codes, 32 characters or more. Unset, a key derived "
        "from AUDIT_HMAC_KEY (HKDF-SHA256, its own label) is used, so no new secret is needed to deploy.",
    )
    checkin_code_ttl_s: int = Field(
        60, ge=30, le=3600, description="How long one check-in code (the QR code an organiser shows) is good "
        "for; the organiser's screen fetches a fresh one before. Never past the occasion's window. Short, "
        "so a photo of the code sent to a chat group soon stops working.",
    )
    checkin_grace_minutes: int = Field(
        30, ge=0, le=240, description="How long before a reception day or session starts, and after it ends, "
        "a check-in still counts (an activity's window is its day, China time).",
    )
    checkin_link_base: str | None = Field(
        None, description="The check-in link, without its `?code=`: the page that posts the code with the "
        "member's token. Default: the portal's check-in page, PORTAL_PUBLIC_URL + /console/check-in.",
    )
    hotline_import_max_rows: int = Field(
        2000, ge=1, le=100_000, description="12345 hotline import: most cases one file may hold (each row is "
        "its own transaction; a larger file is refused whole, 422).",
    )

    # --- Notify ---------------------------------------------------------------------------
    smtp_host: str = Field("127.0.0.1", description="SMTP server for e-mail notifications.")
    smtp_port: int = 25
    smtp_from: str = "cppcc-liaison@localhost"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_sessions: int = Field(
        4, ge=1, le=32, description="SMTP sessions a round of deliveries sends its e-mail over at once "
        "(SMS and webhooks go one after another, in the order they were due).",
    )
    notify_service_subject: str = Field(
        "service:notify", description="The token subject of the notify service, the only caller allowed "
        "to fetch a submitter's contact from feedback for one delivery.",
    )
    notify_service_token: SecretStr | None = Field(
        None, description="A token notify presents to feedback and members when no AUTH_TOKEN_URL is set "
        "(development: `make run` and the tests sign one with the development key).",
    )
    webhook_allowlist: list[str] = Field(
        default_factory=list, description="Hosts, addresses or CIDR ranges that webhooks may reach although "
        "they are loopback, private, link-local or reserved (an operator's own receivers).",
    )
    feedback_url: str | None = Field(None, description="Where notify reaches feedback; default from FEEDBACK_PORT.")
    members_url: str | None = Field(None, description="Where notify reaches members; default from MEMBERS_PORT.")
    public_base_url: str | None = Field(
        None, description="Base of the tracking links sent to citizens (they open feedback's page /t/{code}); "
        "default: http://HTTP_HOST:FEEDBACK_PORT.",
    )
    sms_gateway: Literal["development", "aliyun"] = Field(
        "development", description="The SMS adapter: `development` records messages in notify's table "
        "`sms_messages` and sends nothing; `aliyun` sends through Alibaba Cloud SMS (`SendSms`).",
    )
    sms_aliyun_access_key_id: str | None = Field(None, description="Alibaba Cloud AccessKey ID for SendSms.")
    sms_aliyun_access_key_secret: SecretStr | None = Field(None, description="Its AccessKey secret.")
    sms_aliyun_sign_name: str | None = Field(None, description="The approved SMS signature (签名), e.g. 平罗县政协.")
    sms_aliyun_endpoint: str = Field(
        "https://dysmsapi.aliyuncs.com", description="Where SendSms is called; https outside DEV_MODE.",
    )
    sms_aliyun_templates: dict[str, dict[str, object]] = Field(
        default_factory=dict, description='JSON: each notify template that goes by SMS → its approved template '
        'code and the fields it takes, `{"opinion_replied_citizen": {"code": "SMS_123", "params": ["link"]}}`; '
        'a param may rename a field: `{"url": "link"}`.',
    )
    reminder_days_before: list[int] = Field(
        default_factory=lambda: [3, 1], description="Days before a deadline when departments are reminded.",
    )
    delivery_max_attempts: int = Field(6, ge=1, description="E-mail attempts before a delivery is failed.")
    delivery_poll_interval_s: float = Field(1.0, gt=0)
    delivery_lease_s: float = Field(
        120.0, ge=5, description="How long a worker's claim on a batch of deliveries lasts: a crashed worker's "
        "claims come back after it; a live worker stops sending from a batch at half of it.",
    )
    delivery_backoff_s: float = Field(
        2.0, gt=0, description="First retry delay of e-mail and webhooks; doubles, at most an hour."
    )

    # --- Personal data ---------------------------------------------------------------
    data_master_key: SecretStr = Field(
        SecretStr(DEV_MASTER_KEY),
        description="The current master key, which wraps every data subject's key: `v<N>:<base64 of 32 "
        "bytes>`, or bare base64 for version 1. The default is for development only.",
    )
    data_master_keys_previous: SecretStr = Field(
        SecretStr(""),
        description="Master keys replaced by DATA_MASTER_KEY, comma-separated `v<N>:<base64>`: what they "
        "wrapped still opens until `liaison rewrap` has moved it to the current key; then drop them.",
    )
    crypto_suite: Literal["aes-gcm", "sm4-gcm"] = Field(
        "aes-gcm", description="The cipher of what is sealed from now on: AES-256-GCM, or SM4-GCM with "
        "SM3 for key derivation and the audit chain's HMACs (GM/T, for 密评). Each ciphertext and each "
        "audit seal names its own, so both read back.",
    )
    audit_hmac_key: SecretStr = Field(
        SecretStr(DEV_AUDIT_KEY),
        description="Key of the audit log's HMACs (request hashes and the chain of seals), at least 32 "
        "characters. The default is for development only.",
    )

    # --- HTTP --------------------------------------------------------------------------
    http_host: str = "127.0.0.1"
    members_port: int = 8001
    consultation_port: int = 8002
    feedback_port: int = 8003
    notify_port: int = 8004
    # the portal's, read by members too: the check-in QR code's link opens the portal's page
    portal_port: int = 8005
    portal_public_url: str | None = Field(
        None, description="Where people reach the portal (a receipt's tracking link, a check-in QR code's "
        "page); default http://HTTP_HOST:PORTAL_PORT.")
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed to call the APIs from a browser."
    )
    max_body_bytes: int = Field(1_000_000, ge=1024)

    # --- Embedded stack (make run) -----------------------------------------------------
    liaison_home: Path = Field(Path(".run"), description="Data directory of `make run`.")
    broker_port: int = 9092
    embedded_postgres_port: int = 5432

    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"

    def port_of(self, service: ServiceName) -> int:
        return int(getattr(self, f"{service}_port"))

    def public_base(self) -> str:
        """Where citizens reach feedback's tracking page: PUBLIC_BASE_URL, else feedback's own address."""
        return (self.public_base_url or self.base_url_of("feedback")).rstrip("/")

    def base_url_of(self, service: ServiceName) -> str:
        return f"http://{self.http_host}:{self.port_of(service)}"

    def portal_base(self) -> str:
        """Where people reach the portal: PORTAL_PUBLIC_URL, else its own address."""
        return (self.portal_public_url or f"http://{self.http_host}:{self.portal_port}").rstrip("/")

    def checkin_page(self) -> str:
        """What a check-in QR code opens, before its ``?code=``: CHECKIN_LINK_BASE, else the portal's
        check-in page, where the member signed in confirms and the portal posts the code for it."""
        return self.checkin_link_base or f"{self.portal_base()}/console/check-in"

    def asyncpg_dsn(self) -> str:
        """The URL without the parameters asyncpg does not understand."""
        return _without_query(self.database_url, {"search_path"})

    def dbmate_url(self, schema: str) -> str:
        parts = urlsplit(self.database_url)
        query = dict(parse_qsl(parts.query))
        query["search_path"] = schema
        return urlunsplit(parts._replace(query=urlencode(query)))

    def kafka_client_options(self) -> KafkaClientOptions:
        """Connection options shared by aiokafka producers, consumers and admin clients."""
        options: KafkaClientOptions = {
            "bootstrap_servers": self.kafka_bootstrap_servers,
            "security_protocol": self.kafka_security_protocol,
        }
        if self.kafka_security_protocol.startswith("SASL"):
            options["sasl_mechanism"] = self.kafka_sasl_mechanism
            options["sasl_plain_username"] = self.kafka_sasl_username
            options["sasl_plain_password"] = (
                self.kafka_sasl_password.get_secret_value() if self.kafka_sasl_password else None
            )
        if self.kafka_security_protocol.endswith("SSL"):
            from aiokafka.helpers import create_ssl_context

            options["ssl_context"] = create_ssl_context(
                cafile=str(self.kafka_ssl_cafile) if self.kafka_ssl_cafile else None
            )
        return options


def _without_query(url: str, drop: set[str]) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in drop]
    return urlunsplit(parts._replace(query=urlencode(query)))


@lru_cache
def get_settings() -> Settings:
    """The environment — and, when ``LIAISON_SECRETS_DIR`` names a directory (a mounted
    Kubernetes secret), one file per setting there (``database_url``, ``kafka_sasl_password``…)."""
    secrets = os.environ.get("LIAISON_SECRETS_DIR")
    return Settings(_secrets_dir=secrets) if secrets else Settings()
