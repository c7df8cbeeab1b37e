"""Agent settings: every knob comes from the environment (prefix AGENT_) or a .env file; see .env.example."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_ADMIN_TOKEN = "dev-admin-token"


class Settings(BaseSettings):
    """The receptionist's configuration. Production mode refuses to start without an admin token."""

    model_config = SettingsConfigDict(env_prefix="AGENT_", env_file=".env", extra="ignore")

    env: Literal["dev", "production"] = "dev"

    # Meta's Graph API (or the WhatsApp simulator standing in for it).
    graph_api_base_url: str = "https://graph.facebook.com"
    graph_api_version: str = "v21.0"
    access_token: SecretStr = SecretStr("")
    phone_number_id: str = ""
    app_secret: SecretStr = SecretStr("")
    verify_token: SecretStr = SecretStr("")

    database_url: str = "postgresql://hotelero@127.0.0.1:5432/hotelero"
    redis_url: str = "redis://127.0.0.1:6379/0"

    # The PMS (QloApps); empty URL means "not configured" and /health/ready does not check it.
    qloapps_url: str = ""
    qloapps_key: SecretStr = SecretStr("")
    hotel_id: int = 1
    timezone: str = "Europe/Madrid"

    admin_token: SecretStr | None = None

    # HTTP server processes for `hotelero agent --web N`.
    web_workers: int = Field(default=1, ge=1, le=16)
    # Separate worker processes (`hotelero agent --workers M`, supervised); 0 = a worker inside each web process.
    worker_processes: int = Field(default=0, ge=0, le=16)

    # Worker.
    worker_concurrency: int = Field(default=32, ge=1, le=512)
    run_worker: bool = True  # the in-process worker; `hotelero agent worker` runs it alone
    # A dead worker's guests wait this long before another claims them; live ones renew every third of it.
    lease_seconds: float = Field(default=10.0, gt=0)
    max_attempts: int = Field(default=5, ge=1)
    retry_base_seconds: float = Field(default=1.0, ge=0)
    retry_max_seconds: float = Field(default=60.0, ge=0)
    poll_interval_seconds: float = Field(default=0.5, gt=0)

    # Responder (the brain seam): the receptionist (needs AGENT_QLOAPPS_URL), or the bilingual menu/echo.
    responder: Literal["echo", "receptionist"] = "receptionist"
    # Receptionist: a half-finished flow (dialogue state) is forgotten after this long without messages.
    conversation_idle_minutes: int = Field(default=60, ge=1)
    # Test/diagnostic hook: the echo responder sleeps this long per turn (0 in production).
    echo_delay_ms: int = Field(default=0, ge=0)

    # Outbound Graph client.
    graph_timeout_seconds: float = Field(default=10.0, gt=0)
    graph_max_retries: int = Field(default=3, ge=0)
    graph_retry_base_seconds: float = Field(default=0.25, ge=0)
    graph_max_connections: int = Field(default=64, ge=1)
    # The phone number's send throughput (Meta's Cloud API default is 80 messages/s); exported for headroom alerts.
    whatsapp_throughput_mps: float = Field(default=80.0, gt=0)
    mark_read: bool = True  # mark inbound read + typing indicator while working
    # Approved template for re-engagement when a reply fails with 131047 (outside the 24 h window); empty = flag human.
    reengagement_template: str = ""
    reengagement_template_language: str = "es"

    # Webhook.
    webhook_max_bytes: int = Field(default=3 * 1024 * 1024, ge=1024)
    # Status-only webhooks wait up to this long to share one statement (their ack waits too; guests never do).
    # 25 ms: at 100-300 guest messages/s, 10-25 statuses per statement and commit instead of 2-5.
    status_batch_ms: float = Field(default=25.0, ge=0, le=200)

    # Per-guest rate limit: more than N messages in the window gets one polite notice and no replies.
    rate_limit_messages: int = Field(default=20, ge=1)
    rate_limit_window_seconds: int = Field(default=60, ge=1)

    # Pools.
    db_pool_min: int = Field(default=2, ge=1)
    db_pool_max: int = Field(default=20, ge=1)
    redis_max_connections: int = Field(default=64, ge=1)
    migrate_on_start: bool = True

    log_level: str = "INFO"

    # Resilience: bounded waits, so a dead dependency costs a quick refusal (Meta retries), never a hang.
    # A webhook whose body is not complete this long after the request started gets 408 and is closed.
    request_body_timeout_seconds: float = Field(default=10.0, gt=0)
    # Without Postgres, a webhook answers 503 after at most this long (Meta redelivers it).
    webhook_store_timeout_seconds: float = Field(default=0.8, gt=0)
    # Each Redis call gives up after this long; rate limits and caches then fail open.
    redis_timeout_seconds: float = Field(default=0.5, gt=0)
    # A guest message whose Meta timestamp is older than this is not answered as new (0 = no limit): Meta
    # redelivers for days, and a days-old "tomorrow" is not tomorrow. Counted in hotelero_stale_messages_total.
    stale_message_hours: float = Field(default=24.0, ge=0)

    @model_validator(mode="after")
    def _admin_token_required_in_production(self) -> Settings:
        if self.admin_token is None or not self.admin_token.get_secret_value():
            if self.env == "production":
                raise ValueError("AGENT_ADMIN_TOKEN is required when AGENT_ENV=production; set a long random value")
            self.admin_token = SecretStr(DEV_ADMIN_TOKEN)
        return self

    @property
    def graph_messages_url(self) -> str:
        """The send endpoint: {base}/{version}/{phone-number-id}/messages."""
        return f"{self.graph_api_base_url.rstrip('/')}/{self.graph_api_version}/{self.phone_number_id}/messages"
