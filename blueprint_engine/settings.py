"""One typed settings object, built from the environment and passed in."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the services are. ``NEO4J_URI``/``NEO4J_AUTH`` point at an external Neo4j."""

    model_config = SettingsConfigDict(env_prefix="FG_", extra="ignore", frozen=True)

    neo4j_uri: str = Field(default="bolt://127.0.0.1:7687", validation_alias="NEO4J_URI")
    # "user/password" as in the official Docker image's NEO4J_AUTH
    neo4j_auth: str = Field(default="neo4j/fabricgraph", validation_alias="NEO4J_AUTH")
    neo4j_database: str = "neo4j"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # the Celery queue this process sends to and its worker consumes (one per checkout
    # when several share one Redis)
    celery_queue: str = "fabricgraph"
    reconcile_interval_s: float = 10.0
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    cypher_max_rows: int = 1000
    cypher_timeout_s: float = 5.0
    cypher_max_query_chars: int = 10_000
    # "user/password" of the exploration endpoint's Neo4j user (default: NEO4J_AUTH); on
    # Enterprise or Aura give it a user with the `reader` role
    cypher_auth: str = ""
    # GraphiQL at GET /graphql: "auto" serves it when its assets are installed locally
    graphiql: str = "auto"
    # blueprint lists read in the client's selected shape (off: the general path only)
    graphql_shaped: bool = True
    max_payload_bytes: int = 1_000_000
    # admission (api/admission.py): requests running at once in one API process, how
    # many may wait for a turn and for how long (then 429), worker threads for the
    # blocking reads, and the GIL's switch interval in the API process (seconds)
    api_concurrency: int = Field(default=8, ge=1, le=256)
    api_queue_max: int = Field(default=256, ge=0, le=100_000)
    api_queue_wait_s: float = Field(default=30.0, gt=0, le=600)
    api_threads: int = Field(default=8, ge=1, le=256)
    api_switch_interval_s: float = Field(default=0.001, gt=0, le=1)
    # API tokens: "token:role:name,..." (roles: viewer, operator, admin)
    api_tokens: str = (
        "dev-admin:admin:admin,dev-operator:operator:operator,dev-viewer:viewer:viewer"
    )
    # telemetry: seconds between collection rounds of every deployed blueprint, and
    # between level-triggered re-evaluations of everything they observe
    collect_interval_s: float = 2.0
    telemetry_sweep_interval_s: float = 10.0
    # a JSON file listing libvirt hosts the virtual sweep re-syncs (workers/libvirt_source.py)
    libvirt_sources: str = ""
    # event-driven collection (workers.listener): a switch's first event waits this long
    # for the rest of its burst before the round that answers them
    event_settle_s: float = 0.05
    # ... and a switch it collected is collected once more this much later (what settles
    # after the event: routes once a session is up)
    event_follow_up_s: float = 2.0
    # worker pools: devices a pool takes when a worker creates it (B14: one worker
    # process keeps 265-316 switches in a 10 s round), seconds between pool checks
    pool_capacity: int = 300
    pool_check_interval_s: float = 10.0

    @property
    def neo4j_user_password(self) -> tuple[str, str]:
        user, _, password = self.neo4j_auth.partition("/")
        return user, password


def load_settings() -> Settings:
    return Settings()
