"""The app's PostgreSQL connections prepare only the statements marked ``prepared`` and keep
them across a rollback (cinema/db_connections.py), unless the transaction changed the schema; a
rollback still undoes everything, and a connection lost meanwhile is still seen as lost."""
from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

from cinema.db_connections import StatementKeepingConnection, keep_prepared_statements, prepared
from cinema.extensions import db

STATEMENT = sa.text(prepared("SELECT count(*) FROM users WHERE id > :id"))
UNMARKED = sa.text("SELECT count(*) FROM users WHERE id < :id")


@pytest.fixture
def engine(app):
    """An engine of its own on the run's database, made as the app makes its own."""
    with app.app_context():
        url = db.engine.url
    engine = sa.create_engine(url, pool_size=1, max_overflow=0)
    keep_prepared_statements(engine)
    yield engine
    engine.dispose()


def prepared_on_server(conn: sa.Connection) -> int:
    return conn.exec_driver_sql("SELECT count(*) FROM pg_prepared_statements").scalar()


def run_until_prepared(conn: sa.Connection) -> None:
    conn.execute(STATEMENT, {"id": 0})  # prepared at its first execution
    assert prepared_on_server(conn) == 1


def test_the_apps_connections_keep_their_statements(app):
    with app.app_context(), db.engine.connect() as conn:
        assert isinstance(conn.connection.dbapi_connection, StatementKeepingConnection)


def test_only_marked_statements_are_prepared(engine):
    with engine.connect() as conn:
        for _ in range(10):  # psycopg alone would prepare it at the fifth
            conn.execute(UNMARKED, {"id": 0})
        assert prepared_on_server(conn) == 0
        run_until_prepared(conn)


def test_a_rollback_keeps_the_prepared_statements_and_undoes_the_writes(engine):
    with engine.connect() as conn:
        run_until_prepared(conn)
        conn.exec_driver_sql("CREATE TEMPORARY TABLE kept_notes (note text)")
        conn.commit()
        conn.exec_driver_sql("INSERT INTO kept_notes VALUES ('undone')")
        conn.rollback()
        assert prepared_on_server(conn) == 1
        assert conn.exec_driver_sql("SELECT count(*) FROM kept_notes").scalar() == 0
        conn.rollback()
        # Still prepared, still answering: the statement runs from psycopg's cache.
        assert conn.execute(STATEMENT, {"id": 0}).scalar() >= 0
        assert prepared_on_server(conn) == 1


def test_a_failed_transaction_rolls_back_and_keeps_the_statements(engine):
    with engine.connect() as conn:
        run_until_prepared(conn)
        with pytest.raises(sa.exc.ProgrammingError):
            conn.exec_driver_sql("SELECT * FROM no_such_table")
        conn.rollback()
        assert prepared_on_server(conn) == 1
        assert conn.execute(STATEMENT, {"id": 0}).scalar() >= 0


def test_a_rollback_after_a_schema_change_forgets_them(engine):
    with engine.connect() as conn:
        run_until_prepared(conn)
        conn.exec_driver_sql("CREATE TEMPORARY TABLE gone_soon (note text)")
        conn.rollback()
        assert prepared_on_server(conn) == 0
        # The next transaction is an ordinary one again: its rollback keeps what it prepares.
        run_until_prepared(conn)
        conn.rollback()
        assert prepared_on_server(conn) == 1


def test_a_connection_lost_before_the_rollback_is_seen_as_lost(engine):
    with engine.connect() as conn:
        run_until_prepared(conn)
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with psycopg.connect(engine.url.set(drivername="postgresql").render_as_string(
                hide_password=False), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(sa.exc.OperationalError) as lost:
            conn.rollback()
        assert lost.value.connection_invalidated
    with engine.connect() as conn:  # the pool opens a new connection
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1
