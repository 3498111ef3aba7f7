"""PostgreSQL connections that keep their prepared statements across a rollback.

psycopg prepares a statement on the server once it has run ``prepare_threshold`` (5) times on a
connection, and PostgreSQL then plans it once (a generic plan) instead of at every execution.
But psycopg forgets every prepared statement at each ``ROLLBACK`` (and sends ``DEALLOCATE ALL``):
a transaction may have created a table or a type that the rollback takes away, and a statement
prepared against it would then fail or read the wrong thing. In this app every request that
reads without writing ends in a rollback (the session is closed), and so does every refused
hold, so under ordinary mixed traffic no statement stays prepared: a refused hold cost
PostgreSQL 1.4 ms, planned each time, against 0.5 ms prepared (docs/PERFORMANCE.md).

Requests never change the schema (migrations run on their own, ``flask db upgrade``), so
``StatementKeepingConnection.rollback`` rolls back without forgetting, unless the transaction
sent a statement that creates, drops or alters something: then it is psycopg's own rollback.
A rollback is still a rollback: what it undoes does not change, only what psycopg remembers
of the statements it prepared. PostgreSQL keeps a prepared statement across a rollback whatever
happened in the transaction (``PREPARE`` is not transactional), and plans it again by itself
when a table it reads changes (``ALTER`` outside this connection, ``ANALYZE``).
"""
from __future__ import annotations

import re

import psycopg
import sqlalchemy as sa
from psycopg import pq

SCHEMA_CHANGE = re.compile(r"\s*(?:CREATE|DROP|ALTER|COMMENT|DISCARD|DEALLOCATE)\b", re.I)


class StatementKeepingConnection(psycopg.Connection):
    """A psycopg connection whose ``rollback`` keeps the prepared statements (module docstring)
    unless ``schema_changed`` was set in the transaction (``keep_prepared_statements`` sets it)."""

    schema_changed = False

    def rollback(self) -> None:
        if self.schema_changed or self.pgconn.transaction_status == pq.TransactionStatus.IDLE:
            self.schema_changed = False
            return super().rollback()
        with self.lock:
            result = self.pgconn.exec_(b"ROLLBACK")
        if result.status != pq.ExecStatus.COMMAND_OK:
            # A connection that broke meanwhile: psycopg's own rollback raises what it raises
            # (SQLAlchemy reads a lost connection from that error).
            return super().rollback()
        return None

    def commit(self) -> None:
        super().commit()
        self.schema_changed = False


def keep_prepared_statements(engine: sa.Engine) -> None:
    """Make ``engine`` (PostgreSQL through psycopg) connect with ``StatementKeepingConnection``
    and note the transactions that change the schema. Other engines are left as they are."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return

    @sa.event.listens_for(engine, "do_connect")
    def connect(dialect, connection_record, cargs, cparams):
        return StatementKeepingConnection.connect(*cargs, **cparams)

    @sa.event.listens_for(engine, "before_cursor_execute")
    def note_schema_change(conn, cursor, statement, parameters, context, executemany):
        if SCHEMA_CHANGE.match(statement) and isinstance(cursor.connection,
                                                         StatementKeepingConnection):
            cursor.connection.schema_changed = True
