"""Films, genres, auditoriums and their seats."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so

from cinema.extensions import db
from cinema.models.base import AuditMixin
from cinema.models.enums import SeatType, db_enum


class Genre(AuditMixin, db.Model):
    __tablename__ = "genres"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(60), unique=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(60), unique=True)

    def __repr__(self) -> str:
        return f"<Genre {self.name}>"


class MovieGenre(AuditMixin, db.Model):
    __tablename__ = "movie_genres"

    movie_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("movies.id", ondelete="CASCADE"), primary_key=True
    )
    genre_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("genres.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Movie(AuditMixin, db.Model):
    """A film. Soft-deleted (``is_deleted``), never hard-deleted once it has showtimes."""

    __tablename__ = "movies"
    __table_args__ = (sa.CheckConstraint("duration_minutes > 0", name="duration_positive"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200), index=True)
    synopsis: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    duration_minutes: so.Mapped[int]
    age_rating: so.Mapped[str] = so.mapped_column(sa.String(12))
    language: so.Mapped[str] = so.mapped_column(sa.String(40), default="English")
    format: so.Mapped[str] = so.mapped_column(sa.String(20), default="2D")
    release_date: so.Mapped[date | None]
    trailer_url: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    poster_path: so.Mapped[str | None] = so.mapped_column(sa.String(255))

    genres: so.Mapped[list[Genre]] = so.relationship(
        secondary="movie_genres", order_by=Genre.name, lazy="selectin", viewonly=False
    )
    showtimes: so.WriteOnlyMapped["Showtime"] = so.relationship(back_populates="movie")  # noqa: F821

    def __repr__(self) -> str:
        return f"<Movie {self.id} {self.title!r}>"


class Auditorium(AuditMixin, db.Model):
    __tablename__ = "auditoriums"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)
    description: so.Mapped[str] = so.mapped_column(sa.String(300), default="")

    seats: so.Mapped[list["Seat"]] = so.relationship(
        back_populates="auditorium",
        order_by="(Seat.row_index, Seat.col_index)",
        primaryjoin="and_(Seat.auditorium_id == Auditorium.id, Seat.is_deleted == False)",
        viewonly=True,
    )

    def __repr__(self) -> str:
        return f"<Auditorium {self.id} {self.name!r}>"


class Seat(AuditMixin, db.Model):
    """One seat: its label (row + number), its place in the grid, its type.

    ``row_index``/``col_index`` place the seat on the map; a gap in ``col_index`` is an aisle.
    """

    __tablename__ = "seats"
    __table_args__ = (
        sa.Index(
            "uq_seats_label", "auditorium_id", "row_label", "number", unique=True,
            postgresql_where=sa.text("NOT is_deleted"), sqlite_where=sa.text("NOT is_deleted"),
        ),
        sa.Index(
            "uq_seats_position", "auditorium_id", "row_index", "col_index", unique=True,
            postgresql_where=sa.text("NOT is_deleted"), sqlite_where=sa.text("NOT is_deleted"),
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    auditorium_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("auditoriums.id", ondelete="CASCADE"), index=True
    )
    row_label: so.Mapped[str] = so.mapped_column(sa.String(4))
    number: so.Mapped[int]
    row_index: so.Mapped[int]
    col_index: so.Mapped[int]
    seat_type: so.Mapped[SeatType] = so.mapped_column(db_enum(SeatType), default=SeatType.REGULAR)
    is_blocked: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    # The seat sold together with this one (both ways; cinema/booking/seat_pairs.py): the other
    # half of a couple seat, or a wheelchair space and its companion seat.
    partner_seat_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("seats.id", ondelete="SET NULL"))

    auditorium: so.Mapped[Auditorium] = so.relationship(back_populates="seats")

    @property
    def label(self) -> str:
        return f"{self.row_label}{self.number}"

    def __repr__(self) -> str:
        return f"<Seat {self.id} {self.label}>"
