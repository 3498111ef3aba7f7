"""PostgreSQL connections that prepare only the statements written for it, and keep them.

A prepared statement is parsed once, and PostgreSQL may then run it on a generic plan, made once
without the parameters' values, instead of planning it at every execution. For a statement
written for that (the hold's, whose claims are read outwards from the wanted seats so that the
generic plan stays an index walk) this is the cheap path. For most others it is a risk: on a
generic plan, a report over a date range (``cinema/reports``) no longer sees how many rows its
range holds: with every statement kept prepared, the worker's tick summing the rollups took
21 s instead of about 25 ms on a year of data (``bench/reports.py``). So:

- a statement that starts with ``PREPARED`` (an SQL comment, ``prepared(...)`` adds it) is
  prepared at its first execution on a connection, and no other (``PreparingCursor``: psycopg
  alone would prepare any statement run five times on a connection);
- those are kept across a rollback (``StatementKeepingConnection.rollback``). psycopg forgets
  every prepared statement at each ``ROLLBACK`` (and sends ``DEALLOCATE ALL``), because a
  rolled-back transaction may have created something a statement was prepared against. Requests
  never change the schema (migrations run on their own, ``flask db upgrade``), and every
  read-only request and every refused hold ends in a rollback: without this the hold's
  statements would be planned again after each (a refused hold cost PostgreSQL 1.4 ms instead
  of 0.5 ms, docs/PERFORMANCE.md). A transaction that sent a statement creating, dropping or
  altering something still gets psycopg's own rollback.

A rollback is still a rollback: what it undoes does not change, only what psycopg remembers of
the statements it prepared. PostgreSQL keeps a prepared statement across a rollback whatever
happened in the transaction (``PREPARE`` is not transactional), and plans it again by itself
when a table it reads changes (``ALTER`` outside this connection, ``ANALYZE``).
"""
from __future__ import annotations

import re

import psycopg
import sqlalchemy as sa
from psycopg import pq

PREPARED = "/* prepared */ "

SCHEMA_CHANGE = re.compile(r"\s*(?:CREATE|DROP|ALTER|COMMENT|DISCARD|DEALLOCATE)\b", re.I)


def prepared(sql: str) -> str:
    """``sql`` marked to be prepared (and run on a generic plan): only for a statement whose
    plan does not depend on its parameters' values."""
    return PREPARED + sql


class PreparingCursor(psycopg.Cursor):
    """Prepares a statement marked ``PREPARED`` (at the start, or after a ``SELECT`` keyword,
    where ``Select.prefix_with`` puts it) at its first execution, and no other; notes on its
    connection a statement that changes the schema."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        if isinstance(query, str):
            if prepare is None:
                prepare = PREPARED in query[:len(PREPARED) + 8]
            if SCHEMA_CHANGE.match(query):
                self.connection.schema_changed = True
        return super().execute(query, params, prepare=prepare, binary=binary)


class StatementKeepingConnection(psycopg.Connection):
    """A psycopg connection whose ``rollback`` keeps the prepared statements (module docstring)
    unless ``schema_changed`` was set in the transaction (``PreparingCursor`` sets it)."""

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
    and ``PreparingCursor``. Other engines are left as they are."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return

    @sa.event.listens_for(engine, "do_connect")
    def connect(dialect, connection_record, cargs, cparams):
        return StatementKeepingConnection.connect(
            *cargs, **{**cparams, "cursor_factory": PreparingCursor})
