from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from guanwu.platform.settings import ServiceSettings

_IN_PROCESS = "; unset: the service's routes in this same process (embedded default)"


class OidcSettings(BaseModel):
    """Single sign-on through an external OpenID Connect issuer (authorisation code + PKCE S256). The issuer's
    access token is the session's bearer token: the services must verify it (`auth.mode=jwks`, the issuer's
    JWKS, `auth.audience` the audience it gives the APIs), and it must carry the user's enterprise: a `tenant`
    claim with `roles`, or a `tenants` claim (a list sharing `roles`, or tenant -> roles)."""

    issuer: str = Field(description="Issuer URL (its /.well-known/openid-configuration is read at first use)")
    client_id: str = Field(min_length=1, description="The console's client id at the issuer")
    client_secret: SecretStr | None = Field(
        None, description="Client secret (a confidential client, client_secret_basic); unset: a public client"
    )
    scopes: str = Field("openid profile", description="Scopes asked for (openid required)")
    redirect_url: str = Field(
        description="This console's callback, e.g. https://console.example/console/oidc/callback"
    )
    post_logout_redirect_url: str | None = Field(
        None, description="Where the issuer's logout returns (registered at the issuer); unset: not sent"
    )
    state_secret: SecretStr | None = Field(
        None,
        min_length=32,
        description="Key signing the short-lived login cookie (state, nonce, PKCE verifier); unset: a random key "
        "per process (several console replicas need one shared key)",
    )
    login_seconds: int = Field(600, ge=30, le=3600, description="How long a started login may take")


class ConsoleSettings(ServiceSettings):
    """Settings of the web console (env prefix GUANWU_CONSOLE_).

    The console owns no data: it calls the services' public APIs, in the same process when a base URL is
    unset (embedded default), over HTTP otherwise (`guanwu serve console`)."""

    model_config = SettingsConfigDict(env_prefix="GUANWU_CONSOLE_", env_nested_delimiter="__", extra="ignore")

    auth_url: str | None = Field(
        None, description="Base URL serving POST /api/auth/token (local users)" + _IN_PROCESS
    )
    declaration_url: str | None = Field(None, description="Base URL of the declaration service" + _IN_PROCESS)
    review_url: str | None = Field(None, description="Base URL of the review service" + _IN_PROCESS)
    query_url: str | None = Field(None, description="Base URL of the query service" + _IN_PROCESS)
    anomaly_url: str | None = Field(None, description="Base URL of the anomaly service" + _IN_PROCESS)
    sync_url: str | None = Field(
        None, description="Base URL of the sync service (数据同步 jobs)" + _IN_PROCESS
    )
    oidc: OidcSettings | None = Field(None, description="Single sign-on (OIDC); unset: local users only")
    secure_cookies: bool = Field(
        False,
        description="Mark every cookie Secure whatever scheme the console sees (behind a proxy terminating TLS); "
        "false: Secure when the request is https",
    )
    page_size: int = Field(20, ge=1, le=200, description="Rows per page of the console's lists")
    api_timeout_seconds: float = Field(10.0, gt=0, description="Timeout of one call to a service's API")
    import_timeout_seconds: float = Field(
        600.0,
        gt=0,
        description="Timeout of an upload to 导入: the declaration service checks and writes the whole file before "
        "it answers (10,000 goods lines take tens of seconds)",
    )
