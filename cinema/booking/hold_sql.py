"""The two statements of a hold on PostgreSQL (``holds._hold_postgresql``; the module docstring
of ``cinema/booking/holds.py`` says why they cannot double-book or deadlock).

Each names its result columns (``.columns``), so SQLAlchemy works out how to read its rows once,
with the compiled statement, rather than from the cursor at every execution. Both are
``prepared`` (``cinema/db_connections.py``): PostgreSQL runs them on one generic plan, which
their shape keeps an index walk whatever the showtime and seats."""
from __future__ import annotations

import sqlalchemy as sa

from cinema.db_connections import prepared

# Step 1. ``candidates`` finds, by index, the holds on the wanted seats and the patron's own;
# ``doomed`` keeps those to retire and locks them in id order; ``retired`` and
# ``freed`` retire them and free their seat rows. The SELECT reads the snapshot the statement
# began with, so its claims leave out the holds ``retired`` returns (and, as everywhere, holds
# expired by the clock). The claims are read outwards from the wanted seats: the seats of their
# rows (``uq_seats_position``), those seats' active rows (``uq_reserved_seats_active``), each
# one's reservation by its key (LATERAL ... LIMIT 1). PostgreSQL keeps one generic plan for the
# prepared statement, made without the showtime's values; written as a plain join, that plan
# could start from the reservations instead and read every live hold of every showtime.
RETIRE_AND_READ = sa.text(prepared("""
WITH on_seats AS (
    SELECT rs.reservation_id FROM reserved_seats rs
    WHERE rs.showtime_id = :showtime_id AND rs.is_active AND rs.seat_id = ANY(:seat_ids)
), candidates AS (
    SELECT reservation_id AS id FROM on_seats
    UNION
    SELECT id FROM reservations
    WHERE CAST(:replace_previous AS boolean) AND showtime_id = :showtime_id
      AND user_id = :user_id AND status = 'HELD' AND exchange_for_id IS NULL
), doomed AS (
    SELECT r.id,
           CASE WHEN r.hold_expires_at <= :now AND r.id IN (SELECT reservation_id FROM on_seats)
                THEN 'EXPIRED' ELSE 'REPLACED' END AS reason
    FROM reservations r
    WHERE r.id IN (SELECT id FROM candidates) AND r.status = 'HELD'
      AND ((r.hold_expires_at <= :now AND r.id IN (SELECT reservation_id FROM on_seats))
           OR (CAST(:replace_previous AS boolean) AND r.user_id = :user_id
               AND r.exchange_for_id IS NULL))
    ORDER BY r.id
    FOR UPDATE OF r
), retired AS (
    UPDATE reservations SET status = 'CANCELLED', cancel_reason = doomed.reason,
           cancelled_at = :now, updated_at = :now
    FROM doomed WHERE reservations.id = doomed.id
    RETURNING reservations.id
), freed AS (
    UPDATE reserved_seats SET is_active = false, updated_at = :now
    WHERE is_active AND reservation_id IN (SELECT id FROM retired)
), showtime AS (
    SELECT s.auditorium_id, s.starts_at, s.base_price_cents, s.movie_id, m.format,
           m.age_rating, s.cancelled_at IS NOT NULL AS cancelled,
           s.is_deleted OR m.is_deleted AS gone
    FROM showtimes s JOIN movies m ON m.id = s.movie_id
    WHERE s.id = :showtime_id
)
SELECT
    (SELECT row_to_json(showtime) FROM showtime) AS showtime,
    (SELECT json_agg(json_build_array(s.id, s.seat_type, s.is_blocked, s.row_label, s.number,
                                       s.partner_seat_id)
                     ORDER BY s.id)
     FROM seats s JOIN showtime ON s.auditorium_id = showtime.auditorium_id
     WHERE s.id = ANY(:seat_ids) AND NOT s.is_deleted) AS seats,
    (SELECT json_build_array(count(*), max(s.updated_at))
     FROM seats s JOIN showtime ON s.auditorium_id = showtime.auditorium_id) AS layout,
    (SELECT json_agg(json_build_array(rs.seat_id, r.user_id, r.status))
     FROM (SELECT DISTINCT auditorium_id, row_index FROM seats WHERE id = ANY(:seat_ids)) w
     JOIN seats s ON s.auditorium_id = w.auditorium_id AND s.row_index = w.row_index
                 AND NOT s.is_deleted
     JOIN reserved_seats rs ON rs.showtime_id = :showtime_id AND rs.seat_id = s.id
                           AND rs.is_active
     CROSS JOIN LATERAL (
         SELECT r.user_id, r.status FROM reservations r
         WHERE r.id = rs.reservation_id
           AND (r.status IN ('CONFIRMED', 'COMPLETED')
                OR (r.status = 'HELD' AND r.hold_expires_at > :now))
           AND r.id NOT IN (SELECT id FROM retired)
         LIMIT 1) r)
    AS claims,
    (SELECT json_build_array(count(*), max(updated_at)) FROM pricing_rules) AS pricing_rules,
    (SELECT json_build_array(count(*), max(updated_at)) FROM ticket_types) AS ticket_types
""")).columns(*map(sa.column, ("showtime", "seats", "layout", "claims", "pricing_rules",
                              "ticket_types")))

# Step 2. The reservation, its seat rows in seat-id order and their frozen line items. The
# seats' lines and their items come as two JSON arrays of objects (one per seat, one per item),
# which cost the driver far less to send than one array parameter per column.
INSERT_HOLD = sa.text(prepared("""
WITH reservation AS (
    INSERT INTO reservations (code, user_id, showtime_id, status, hold_expires_at,
        total_price_cents, created_at, updated_at, is_deleted, created_by)
    VALUES (:code, :user_id, :showtime_id, 'HELD', :expires, :total, :now, :now, false,
            :user_id)
    RETURNING id
), seat_rows AS (
    INSERT INTO reserved_seats (reservation_id, showtime_id, seat_id, is_active,
        base_price_cents, seat_type_adjustment_cents, time_adjustment_cents, time_rule,
        discount_cents, price_cents, ticket_type_id, created_at, updated_at, is_deleted,
        created_by)
    SELECT reservation.id, :showtime_id, line.seat_id, true, line.base_price_cents,
           line.seat_type_adjustment_cents, line.time_adjustment_cents, line.time_rule,
           line.discount_cents, line.price_cents, line.ticket_type_id, :now, :now, false,
           :user_id
    FROM reservation, json_to_recordset(CAST(:lines AS json)) AS line(
        seat_id integer, base_price_cents integer, seat_type_adjustment_cents integer,
        time_adjustment_cents integer, time_rule varchar, discount_cents integer,
        price_cents integer, ticket_type_id integer)
    ORDER BY line.seat_id
    RETURNING id, seat_id
), items AS (
    INSERT INTO reserved_seat_line_items (reserved_seat_id, position, kind, label, rule_id,
        ticket_type_id, amount_cents, floor_cents, ceiling_cents, created_at, updated_at,
        is_deleted, created_by)
    SELECT seat_rows.id, item.position, item.kind, item.label, item.rule_id,
           item.ticket_type_id, item.amount_cents, item.floor_cents, item.ceiling_cents,
           :now, :now, false, :user_id
    FROM seat_rows JOIN json_to_recordset(CAST(:items AS json)) AS item(
        seat_id integer, position integer, kind varchar, label varchar, rule_id integer,
        ticket_type_id integer, amount_cents integer, floor_cents integer,
        ceiling_cents integer) ON item.seat_id = seat_rows.seat_id
)
SELECT id AS reservation_id FROM reservation
""")).columns(sa.column("reservation_id"))
