"""How the reports talk to PostgreSQL (and SQLite): several GROUP BYs of one set of rows in one
statement, and the settings of a report's transaction.

Several groupings (a report's day, film, auditorium and total tables) are, on PostgreSQL,
``GROUP BY GROUPING SETS``: the rows are produced (and the big tables read) once, whatever
the number of tables, instead of once per table. SQLite has no grouping sets; there the
statement is a ``UNION ALL`` of one ``GROUP BY`` per table over the same rows: the same
figures, computed the plain way (SQLite is the zero-setup development mode, not the place for
a year of a busy cinema).
"""
from __future__ import annotations

import sqlalchemy as sa

from cinema.extensions import db
from cinema.reports.report_dates import dialect_name


def grouped(rows, groupings: dict[str, list], measures: list,
            order_by: tuple = ()) -> dict[str, list]:
    """``measures`` (labelled aggregates over the columns of ``rows``, a subquery) grouped by
    each list of key columns of ``groupings`` (an empty list: one total row).

    Returns ``{name: result rows}``; a result row has every key column of every grouping
    (``None`` for those it is not grouped by) and the measures. A grouping without rows (a
    total over nothing included) gets what SQL gives: an empty list for a keyed grouping, one
    row of empty aggregates for a total. ``order_by`` (columns of ``rows``) orders the rows
    of every grouping.
    """
    keys = list(dict.fromkeys(key for key_list in groupings.values() for key in key_list))
    if dialect_name() == "postgresql":
        stmt = _grouping_sets(rows, keys, groupings, measures)
    else:
        stmt = _union_all(rows, keys, groupings, measures)
    if order_by:
        stmt = stmt.order_by(*[sa.column(column.name) for column in order_by])
    result: dict[str, list] = {name: [] for name in groupings}
    for row in db.session.execute(stmt):
        result[row.grouping_name].append(row)
    return result


def _grouping_sets(rows, keys: list, groupings: dict[str, list], measures: list):
    # GROUPING(k1, ..., kn) has bit (n - 1 - i) set when key i is not one the row is grouped
    # by: that mask names the grouping of each row.
    def mask(key_list: list) -> int:
        return sum(1 << (len(keys) - 1 - i) for i, key in enumerate(keys) if key not in key_list)

    grouping = sa.func.grouping(*keys) if keys else sa.literal(0)
    name = sa.case({mask(key_list): name for name, key_list in groupings.items()},
                   value=grouping)
    return (sa.select(name.label("grouping_name"), *keys, *measures).select_from(rows)
            .group_by(sa.func.grouping_sets(*[sa.tuple_(*key_list)
                                              for key_list in groupings.values()])))


def _union_all(rows, keys: list, groupings: dict[str, list], measures: list):
    selects = []
    for name, key_list in groupings.items():
        columns = [key if key in key_list else sa.null().label(key.name) for key in keys]
        select = sa.select(sa.literal(name).label("grouping_name"), *columns, *measures)
        selects.append(select.select_from(rows).group_by(*key_list) if key_list
                       else select.select_from(rows))
    return sa.union_all(*selects)


def without_jit() -> None:
    """Turn PostgreSQL's JIT compilation off until the end of the current transaction.

    The reports read sale by sale and showtime by showtime (LATERAL subqueries), which the
    planner costs as if every index probe went to disk: from about a month the estimate
    crosses ``jit_above_cost``, from about a quarter the inlining and optimising thresholds,
    and compiling then costs more than it saves (a quarter's revenue report measured 0.75 s
    with JIT, 0.55 s without: docs/PERFORMANCE.md, "Reports"). ``SET LOCAL`` ends with the
    transaction; nothing else on the connection or the server is affected.
    """
    if dialect_name() == "postgresql":
        db.session.execute(sa.text("SET LOCAL jit = off"))
