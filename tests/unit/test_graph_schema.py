"""The graph schema's migrations are an explicit, ordered, idempotent list."""

from graph_schema import GRAPH_VERSION, MIGRATIONS, Label


def test_migrations_are_numbered_one_to_n_in_order() -> None:
    assert [m.number for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert len(MIGRATIONS) == GRAPH_VERSION


SCHEMA = [s for m in MIGRATIONS for s in m.statements if s.startswith("CREATE ")]
DATA = [s for m in MIGRATIONS for s in m.statements if not s.startswith("CREATE ")]


def test_every_schema_statement_is_idempotent() -> None:
    assert SCHEMA
    assert all("IF NOT EXISTS" in s for s in SCHEMA)


def test_every_data_statement_only_fills_in_what_is_missing() -> None:
    # a backfill sets a property only where it is null: applied twice, it changes nothing
    for statement in DATA:
        assert statement.startswith("MATCH ("), statement
        prop = statement.split(" SET ", 1)[1].split(" = ", 1)[0]
        assert f"WHERE {prop} IS NULL" in statement, statement


def test_schema_object_names_are_unique() -> None:
    names = [s.split()[2] for s in SCHEMA]
    assert len(names) == len(set(names))


def test_resource_values_are_unique_per_pool_by_constraint() -> None:
    statements = " ".join(s for m in MIGRATIONS for s in m.statements)
    assert f"FOR (n:{Label.RESOURCE.value}) REQUIRE n.key IS UNIQUE" in statements
