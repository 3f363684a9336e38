"""Settings from ``EDUDATA_*`` environment variables and an optional ``.env``-style file.

The embedded default is a SQLite file under ``data_dir`` so ``make demo`` works on a bare machine; production
points ``EDUDATA_DATABASE_URL`` at PostgreSQL (psycopg 3), where several stateless app servers share one database.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All tunables in one place; every field can be set as ``EDUDATA_<FIELD>``."""

    model_config = SettingsConfigDict(
        env_prefix="EDUDATA_",
        env_file=os.environ.get("EDUDATA_CONFIG_FILE", ".env"),
        extra="ignore",
    )

    data_dir: Path = Path("var")
    database_url: str = ""
    # 学校标识码 of the school this instance serves (一校一码); 4112010070 = 天津财经大学.
    school_code: str = "4112010070"
    school_name: str = "天津财经大学"

    # Identity (Art. 54, 59)
    token_ttl_minutes: int = Field(60, ge=1)
    session_ttl_minutes: int = Field(480, ge=1)
    lockout_threshold: int = Field(5, ge=1)
    lockout_minutes: int = Field(15, ge=1)
    cookie_secure: bool = False  # Secure cookies always; they are Secure anyway whenever the request is HTTPS
    # Reverse proxies whose X-Forwarded-For / -Proto are believed (addresses or CIDR); none by default, so no
    # local process can forge the address the audit log and the lockout see.
    trusted_proxies: list[str] = []
    # Campus sign-on (统一身份认证, docs/identity.md). CAS: the server's base URL (its /login, /logout and
    # /p3/serviceValidate are under it), "" = off; protocol 3.0 (attributes) or 2.0 (/serviceValidate).
    cas_url: str = ""
    cas_version: Literal["3", "2"] = "3"
    # OpenID Connect: the issuer (discovery at <issuer>/.well-known/openid-configuration), "" = off.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scopes: str = "openid profile"
    # Which released attribute (CAS) or claim (OIDC) carries the 工号/学号, the name and the unit code;
    # "" for the number = the CAS user / the OIDC subject itself.
    sso_attr_number: str = ""
    sso_attr_name: str = ""
    sso_attr_unit: str = ""
    # An SSO user without an account is refused; name a role (e.g. "applicant") to let such users open an
    # account of their own, with that role only, in the unit their attribute names.
    sso_self_provision_role: str = ""
    # Break-glass: when set, only these usernames may still log in with a local password (Art. 54).
    password_login_accounts: list[str] = []
    # Directory sync (LDAP/AD, ldap3): server URL (ldap:// or ldaps://), bind DN and password, people base
    # and filter, and the attributes that carry the number, name, unit code and login name.
    ldap_url: str = ""
    ldap_bind_dn: str = ""
    ldap_bind_password: str = ""
    ldap_people_base: str = ""
    ldap_people_filter: str = "(objectClass=inetOrgPerson)"
    ldap_attr_number: str = "employeeNumber"
    ldap_attr_name: str = "cn"
    ldap_attr_unit: str = "departmentNumber"
    ldap_attr_username: str = "uid"
    # Where the school has no directory: 人事处's authoritative staff dataset in the governed store (ingest),
    # read through the data path as the office; the elements holding the number, name and unit code.
    directory_source: Literal["ldap", "staff_dataset"] = "ldap"
    directory_staff_dataset: str = "staff_basic"
    directory_staff_number: str = "GH"
    directory_staff_name: str = "XM"
    directory_staff_unit: str = "DWDM"
    # Service accounts (client credentials): how long a rotated-out secret still works.
    client_secret_grace_hours: int = Field(24, ge=0)
    # /docs (Swagger UI) and /redoc, served from the app's own assets; turn off in production if not wanted.
    api_docs: bool = True

    # Request limits: bad input gets a clear 413, never a slow death.
    max_json_bytes: int = Field(1_000_000, ge=1024)
    max_upload_bytes: int = Field(100 * 1024 * 1024, ge=1024)
    # Days a batch's staging files (good and quarantined rows) are kept once it is loaded, refused or rolled back
    # (Art. 35: no copy kept longer than needed); 0 = removed at the next purge. `edudata ingest-purge-staging`.
    staging_retention_days: int = Field(30, ge=0, le=3650)

    # Keys (Art. 27-28). The master key file is created on first use when absent.
    master_key_file: Path | None = None
    master_key: str | None = None  # base64, overrides the file (for containers)
    # Ed25519 key that signs audit checkpoints and export packages (Art. 25, 59); created on first use.
    signing_key_file: Path | None = None
    # The audit log (Art. 30, 59): records are appended without a lock and integrated by one sequencer into a
    # Merkle tree; it signs a checkpoint (C2SP) after this many records or seconds, whichever comes first.
    audit_origin: str = "edudata.local/audit"  # the log's name in its checkpoints: unique per deployment
    audit_checkpoint_every: int = Field(100_000, ge=1)
    audit_checkpoint_seconds: float = Field(60.0, gt=0)
    # How often the sequencer in `edudata serve` looks for new records (seconds); 0 = no sequencer in-process
    # (several app servers: let the elected `edudata worker` sequence, docs/deployment.md).
    audit_sequence_interval: float = Field(0.5, ge=0)
    # Witnesses that cosign checkpoints: comma-separated `<verifier key>@<URL>` (`edudata audit witness init`).
    audit_witnesses: str = ""

    # Mail relay (edudata.mail): the open-data portal's e-mail verification and sharing's notifications use it.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_sender: str = "opendata@edudata.invalid"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    # Sharing's e-mail notifications (待办提醒) are sent from this address; "" (the default) sends none at all.
    notify_mail_from: str = ""
    # Open-data portal (Art. 43-46, 56, 58).
    public_base_url: str = ""  # as the public reaches the portal (links in mails, DCAT); "" = request's own
    opendata_min_cell: int = Field(5, ge=2)  # aggregated views suppress groups of fewer people (k)
    opendata_rate_burst: int = Field(60, ge=1)  # token bucket per open-data key / per address
    opendata_rate_per_second: float = Field(2.0, gt=0)
    # Shared rate limits across app servers (docs/deployment.md): a Redis URL (e.g. redis://cache:6379/0) puts the
    # portal's token buckets in Redis; without it they live in PostgreSQL, or in the process on SQLite.
    redis_url: str = ""
    redis_key_prefix: str = "edudata:"  # several deployments may share one Redis: each its own prefix
    opendata_max_rows: int = Field(1000, ge=1)  # one page of the query API / datastore_search
    opendata_dcat_page_size: int = Field(
        100, ge=1, le=1000
    )  # datasets per page of the DCAT catalogue (hydra)

    # Pull sources (Art. 20): the business systems the platform may read, name → SQLAlchemy URL, set by the
    # operator (EDUDATA_PULL_CONNECTIONS as JSON). Give each a read-only database account; its password is given
    # when the office registers a source and kept sealed. The platform's own database is never one of them.
    pull_connections: dict[str, str] = {}

    # Backups (Art. 60) are written only under these folders (default data_dir/backups; off-site: the same
    # unless set, e.g. a mounted remote share). A schedule's folders are taken relative to them.
    backup_root: Path | None = None
    backup_offsite_root: Path | None = None

    host: str = "127.0.0.1"
    port: int = 8000
    default_lang: str = "zh"

    def resolved_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file under ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'edudata.db').resolve()}"

    def resolved_backup_root(self) -> Path:
        return (self.backup_root or (self.data_dir / "backups")).resolve()

    def resolved_backup_offsite_root(self) -> Path:
        return (self.backup_offsite_root or self.resolved_backup_root()).resolve()

    def resolved_master_key_file(self) -> Path:
        return self.master_key_file or (self.data_dir / "keys" / "master.key")

    def resolved_signing_key_file(self) -> Path:
        return self.signing_key_file or (self.data_dir / "keys" / "signing.key")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
