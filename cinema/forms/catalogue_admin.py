"""Admin forms for films, auditoriums and showtimes.

Lists typed as text ("F, G, H", "A1, A2", "14:00, 19:30") are parsed here, and a parse error is
a field error like any other, so the page shows it next to the field.
"""
from __future__ import annotations

import re
from datetime import time

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    URL,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from cinema.catalogue.films import AGE_RATINGS, FORMATS
from cinema.exceptions import ValidationFailed
from cinema.money import parse_cents
from cinema.programme.venues import MAX_ROWS, MAX_SEATS_PER_ROW, SEAT_ACTIONS, LayoutSpec

WEEKDAYS = [SelectChoice(n, name) for n, name in enumerate(
    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])]
_PLACE = re.compile(r"^([A-Z])(\d{1,2})$")
_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")


def strip(value):
    return value.strip() if isinstance(value, str) else value


def split_list(text: str | None) -> list[str]:
    return [part.strip() for part in re.split(r"[,\s;]+", text or "") if part.strip()]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def price_cents(text: str | None) -> int:
    """"12.50" -> 1250 (``cinema.money.parse_cents``), its refusal as the field's error."""
    try:
        return parse_cents(text)
    except ValidationFailed as error:
        raise ValidationError(error.detail) from None


class PriceField(StringField):
    """Money typed as 12.50; ``cents`` is the integer value once validated."""

    cents: int | None = None

    def pre_validate(self, form):
        self.cents = price_cents(self.data) if self.data else None


# --- films --------------------------------------------------------------------------------------

class MovieForm(FlaskForm):
    title = StringField("Title", filters=[strip], validators=[InputRequired(), Length(max=200)])
    synopsis = TextAreaField("Synopsis", filters=[strip], validators=[Length(max=4000)])
    duration_minutes = IntegerField("Duration (minutes)", validators=[
        InputRequired("How long is the film, in minutes?"),
        NumberRange(min=1, max=600, message="Between 1 and 600 minutes.")])
    age_rating = SelectField("Age rating", choices=[SelectChoice(r, r) for r in AGE_RATINGS])
    genre_ids = MultiCheckboxField("Genres", coerce=int, choices=[])
    new_genres = StringField("New genres", filters=[strip], validators=[Length(max=200)])
    language = StringField("Language", filters=[strip], default="English",
                           validators=[InputRequired(), Length(max=40)])
    format = SelectField("Format", choices=[SelectChoice(f, f) for f in FORMATS])
    release_date = DateField("Release date", validators=[Optional()])
    trailer_url = URLField("Trailer URL", filters=[strip], validators=[
        Optional(), Length(max=500),
        URL(require_tld=True, message="A web address starting with https://")])
    poster = FileField("Poster image")
    remove_poster = BooleanField("Remove the poster (use the generated one)")

    def validate_trailer_url(self, field):
        if field.errors:  # one message per mistake
            return
        if field.data and not field.data.lower().startswith(("https://", "http://")):
            raise ValidationError("A web address starting with https://")

    def set_genre_choices(self, genres) -> "MovieForm":
        self.genre_ids.choices = [SelectChoice(g.id, g.name) for g in genres]
        return self

    def poster_bytes(self) -> bytes | None:
        upload = self.poster.data
        if upload is None or not getattr(upload, "filename", ""):
            return None
        return upload.read()


# --- auditoriums --------------------------------------------------------------------------------

def parse_rows(text: str | None) -> list[str]:
    """"F, G, H" or "F-H" -> ["F", "G", "H"]."""
    rows = []
    for part in split_list((text or "").upper().replace("–", "-")):
        match = re.fullmatch(r"([A-Z])(?:-([A-Z]))?", part)
        if not match:
            raise ValidationError(f"“{part}” is not a row letter (e.g. F, G or F-H).")
        first, last = match.group(1), match.group(2) or match.group(1)
        if last < first:
            raise ValidationError(f"“{part}”: the range goes backwards.")
        rows += [chr(c) for c in range(ord(first), ord(last) + 1) if chr(c) not in rows]
    return rows


def parse_numbers(text: str | None) -> list[int]:
    try:
        return sorted({int(part) for part in split_list(text)})
    except ValueError:
        raise ValidationError("Seat numbers separated by commas, e.g. 4, 16.") from None


def parse_places(text: str | None) -> list[tuple[str, int]]:
    places = []
    for part in split_list((text or "").upper()):
        match = _PLACE.match(part)
        if not match:
            raise ValidationError(f"“{part}” is not a seat (e.g. A1).")
        places.append((match.group(1), int(match.group(2))))
    return places


class AuditoriumDetailsForm(FlaskForm):
    name = StringField("Name", filters=[strip], validators=[InputRequired(), Length(max=80)])
    description = StringField("Description", filters=[strip], validators=[Length(max=300)])


class LayoutForm(FlaskForm):
    """The layout generator's fields alone: enough for a preview."""

    rows = IntegerField("Rows", default=8, validators=[
        InputRequired(), NumberRange(min=1, max=MAX_ROWS, message=f"1 to {MAX_ROWS} rows.")])
    seats_per_row = IntegerField("Seats per row", default=12, validators=[
        InputRequired(), NumberRange(min=1, max=MAX_SEATS_PER_ROW,
                                     message=f"1 to {MAX_SEATS_PER_ROW} seats.")])
    premium_rows = StringField("Premium rows", filters=[strip], validators=[Length(max=200)])
    couple_rows = StringField("Couple-seat rows", filters=[strip], validators=[Length(max=200)])
    aisles_after = StringField("Aisles after seat numbers", filters=[strip],
                               validators=[Length(max=200)])
    wheelchair = StringField("Wheelchair spaces", filters=[strip], validators=[Length(max=500)])

    def validate_premium_rows(self, field):
        parse_rows(field.data)

    def validate_couple_rows(self, field):
        parse_rows(field.data)

    def validate_aisles_after(self, field):
        parse_numbers(field.data)

    def validate_wheelchair(self, field):
        parse_places(field.data)

    def spec(self) -> LayoutSpec:
        """The layout asked for (call after validation)."""
        return LayoutSpec(rows=self.rows.data, seats_per_row=self.seats_per_row.data,
                          premium_rows=parse_rows(self.premium_rows.data),
                          couple_rows=parse_rows(self.couple_rows.data),
                          aisles_after=parse_numbers(self.aisles_after.data),
                          wheelchair=parse_places(self.wheelchair.data))


class AuditoriumForm(AuditoriumDetailsForm, LayoutForm):
    """A new auditorium: its name and description, and its generated layout."""


class SeatBatchForm(FlaskForm):
    seat_ids = SelectMultipleField("Seats", coerce=int, choices=[], validate_choice=False)
    rows = StringField("Also whole rows", filters=[strip], validators=[Length(max=200)])
    action = SelectField("Change", choices=[SelectChoice(value, label)
                                            for value, label in SEAT_ACTIONS.items()])

    def validate_rows(self, field):
        parse_rows(field.data)

    def row_list(self) -> list[str]:
        return parse_rows(self.rows.data)


# --- showtimes ----------------------------------------------------------------------------------

class ShowtimeForm(FlaskForm):
    movie_id = SelectField("Film", coerce=int, choices=[], validate_choice=False)
    auditorium_id = SelectField("Auditorium", coerce=int, choices=[], validate_choice=False)
    starts_at = DateTimeLocalField("Starts at (local time)", format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired("When does it start?")])
    base_price = PriceField("Base price", filters=[strip], validators=[InputRequired()])

    def set_choices(self, movies, auditoriums) -> "ShowtimeForm":
        self.movie_id.choices = [SelectChoice(m.id, m.title) for m in movies]
        self.auditorium_id.choices = [SelectChoice(a.id, a.name) for a in auditoriums]
        return self


def parse_times(text: str | None) -> list[time]:
    times = []
    for part in split_list(text):
        match = _TIME.match(part)
        if not match:
            raise ValidationError(f"“{part}” is not a time (e.g. 14:00).")
        times.append(time(int(match.group(1)), int(match.group(2))))
    return times


class SeriesForm(FlaskForm):
    movie_id = SelectField("Film", coerce=int, choices=[], validate_choice=False)
    auditorium_id = SelectField("Auditorium", coerce=int, choices=[], validate_choice=False)
    first_day = DateField("First day", validators=[InputRequired()])
    last_day = DateField("Last day", validators=[InputRequired()])
    times = StringField("Start times (local)", filters=[strip],
                        validators=[InputRequired("At least one time, e.g. 14:00, 19:30."),
                                    Length(max=300)])
    weekdays = MultiCheckboxField("Only on", coerce=int, choices=WEEKDAYS)
    base_price = PriceField("Base price", filters=[strip], validators=[InputRequired()])

    set_choices = ShowtimeForm.set_choices

    def validate_times(self, field):
        parse_times(field.data)

    def time_list(self) -> list[time]:
        return parse_times(self.times.data)


class CancelShowtimeForm(FlaskForm):
    note = TextAreaField("Note to patrons (optional)", filters=[strip],
                         validators=[Length(max=300)])
