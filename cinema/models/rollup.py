"""Report rollups: sums the reports keep for days and showtimes whose figures no longer change.

They are a cache of the tables they sum (``cinema.reports.report_rollup`` fills them and
says when a day or a showtime is final); the reports give the same figures with or without
them, only faster for long ranges.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so

from cinema.extensions import db
from cinema.models.base import AuditMixin


class ClosedReportDay(AuditMixin, db.Model):
    """A local day (of the time zone ``zone``) whose sales and refunds are summed in
    ``report_day_sales``: a day with none has this row and no sums."""

    __tablename__ = "report_closed_days"

    zone: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    day: so.Mapped[date] = so.mapped_column(sa.Date, primary_key=True)


class DaySales(AuditMixin, db.Model):
    """Sales and refunds of one closed local day, film and auditorium (the revenue report's
    definitions, ``cinema.reports.reports``)."""

    __tablename__ = "report_day_sales"

    zone: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    day: so.Mapped[date] = so.mapped_column(sa.Date, primary_key=True)
    movie_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("movies.id"), primary_key=True)
    auditorium_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("auditoriums.id"),
                                                     primary_key=True)
    bookings: so.Mapped[int] = so.mapped_column(default=0)
    seats: so.Mapped[int] = so.mapped_column(default=0)
    base_cents: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    seat_type_cents: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    time_cents: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    discount_cents: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    sales_cents: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    refunds: so.Mapped[int] = so.mapped_column(default=0)
    refunds_cents: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)


class ShowtimeSales(AuditMixin, db.Model):
    """Seats sold for a showtime that has ended, in total and per seat type."""

    __tablename__ = "report_showtime_sales"

    showtime_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("showtimes.id", ondelete="CASCADE"), primary_key=True)
    sold: so.Mapped[int] = so.mapped_column(default=0)
    sold_regular: so.Mapped[int] = so.mapped_column(default=0)
    sold_premium: so.Mapped[int] = so.mapped_column(default=0)
    sold_wheelchair: so.Mapped[int] = so.mapped_column(default=0)
    sold_couple: so.Mapped[int] = so.mapped_column(default=0)
