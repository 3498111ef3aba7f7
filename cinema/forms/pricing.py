"""The admin forms of pricing rules and ticket types: effects typed as a direction and a
percentage or an amount of money (never a float)."""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, RadioField, StringField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from cinema.catalogue.films import FORMATS
from cinema.forms.catalogue_admin import WEEKDAYS, MultiCheckboxField, price_cents, strip
from cinema.models import SeatType
from cinema.pricing.engine import BEST_ONLY, STACK
from cinema.pricing.rules_admin import RuleData, TicketTypeData

PERCENT, AMOUNT = "percent", "amount"
UP, DOWN = "up", "down"
_PERCENT = re.compile(r"^(\d{1,3})\s*%?$")


def _optional_cents(text: str | None) -> int | None:
    return price_cents(text) if (text or "").strip() else None


class EffectMixin:
    """A direction (up/down), a kind (percent/amount) and a value."""

    direction = RadioField("Direction", default=UP, choices=[
        SelectChoice(UP, "Up"), SelectChoice(DOWN, "Down")])
    kind = RadioField("Effect", default=PERCENT, choices=[
        SelectChoice(PERCENT, "Percentage"), SelectChoice(AMOUNT, "Fixed amount")])
    value = StringField("How much", filters=[strip], validators=[
        InputRequired("How much? e.g. 10 (percent) or 1.50 (amount)."), Length(max=20)])

    def effect(self) -> tuple[int | None, int | None]:
        """(percent, amount_cents), one of them set and signed; raises ValidationError."""
        text = (self.value.data or "").strip()
        sign = -1 if self.direction.data == DOWN else 1
        if self.kind.data == AMOUNT:
            cents = price_cents(text)
            if cents <= 0:
                raise ValidationError("More than 0.00.")
            return None, sign * cents
        match = _PERCENT.match(text)
        limit = 100 if sign < 0 else 500
        if not match or not 1 <= int(match.group(1)) <= limit:
            raise ValidationError(f"A whole percentage from 1 to {limit}.")
        return sign * int(match.group(1)), None

    def validate_value(self, field):
        self.effect()

    def fill_effect(self, percent, amount_cents) -> None:
        value = percent if percent is not None else amount_cents
        self.direction.data = DOWN if (value or 0) < 0 else UP
        if percent is not None:
            self.kind.data, self.value.data = PERCENT, str(abs(percent))
        else:
            whole, cents = divmod(abs(amount_cents or 0), 100)
            self.kind.data, self.value.data = AMOUNT, f"{whole}.{cents:02d}"


class PricingRuleForm(EffectMixin, FlaskForm):
    name = StringField("Name", filters=[strip], validators=[
        InputRequired("Name the rule, e.g. “Last minute”."), Length(max=80)])
    enabled = BooleanField("Enabled", default=True)
    priority = IntegerField("Priority", default=100, validators=[
        InputRequired(), NumberRange(min=0, max=10_000)])
    stacking = RadioField("Stacking", default=STACK, choices=[
        SelectChoice(STACK, "Stacks with other rules"),
        SelectChoice(BEST_ONLY, "Best one only (of the best-only rules)")])
    floor = StringField("Floor", filters=[strip], validators=[Length(max=20)])
    ceiling = StringField("Ceiling", filters=[strip], validators=[Length(max=20)])
    weekdays = MultiCheckboxField("Weekdays", coerce=int, choices=WEEKDAYS)
    starts_from = TimeField("Starts from", validators=[Optional()])
    starts_before = TimeField("Starts before", validators=[Optional()])
    date_from = DateField("First day", validators=[Optional()])
    date_until = DateField("Last day", validators=[Optional()])
    seat_types = MultiCheckboxField("Seat types", choices=[
        SelectChoice(t.value, t.label) for t in SeatType])
    formats = MultiCheckboxField("Formats", choices=[SelectChoice(f, f) for f in FORMATS])
    movie_ids = MultiCheckboxField("Films", coerce=int, choices=[])
    auditorium_ids = MultiCheckboxField("Auditoriums", coerce=int, choices=[])
    demand_at_least = IntegerField("Sold at least (%)", validators=[
        Optional(), NumberRange(min=0, max=100)])
    demand_below = IntegerField("Sold under (%)", validators=[
        Optional(), NumberRange(min=1, max=101)])
    lead_hours_min = IntegerField("At least hours before start", validators=[
        Optional(), NumberRange(min=0, max=24 * 365)])
    lead_hours_max = IntegerField("Under hours before start", validators=[
        Optional(), NumberRange(min=0, max=24 * 365)])

    def set_choices(self, movies, auditoriums) -> "PricingRuleForm":
        self.movie_ids.choices = [SelectChoice(m.id, m.title) for m in movies]
        self.auditorium_ids.choices = [SelectChoice(a.id, a.name) for a in auditoriums]
        return self

    def validate_floor(self, field):
        _optional_cents(field.data)

    def validate_ceiling(self, field):
        ceiling, floor = _optional_cents(field.data), None
        try:
            floor = _optional_cents(self.floor.data)
        except ValidationError:
            return
        if ceiling is not None and floor is not None and ceiling < floor:
            raise ValidationError("The ceiling cannot be below the floor.")

    def validate_date_until(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The last day cannot be before the first day.")

    def data_for_service(self) -> RuleData:
        percent, amount = self.effect()
        return RuleData(
            name=self.name.data, percent=percent, amount_cents=amount,
            enabled=bool(self.enabled.data), priority=self.priority.data,
            stacking=self.stacking.data, floor_cents=_optional_cents(self.floor.data),
            ceiling_cents=_optional_cents(self.ceiling.data),
            weekdays=tuple(self.weekdays.data or ()), starts_from=self.starts_from.data,
            starts_before=self.starts_before.data, date_from=self.date_from.data,
            date_until=self.date_until.data, seat_types=tuple(self.seat_types.data or ()),
            movie_ids=tuple(self.movie_ids.data or ()),
            auditorium_ids=tuple(self.auditorium_ids.data or ()),
            formats=tuple(self.formats.data or ()), demand_at_least=self.demand_at_least.data,
            demand_below=self.demand_below.data, lead_hours_min=self.lead_hours_min.data,
            lead_hours_max=self.lead_hours_max.data)

    def fill_from(self, rule) -> "PricingRuleForm":
        for name in ("name", "enabled", "priority", "stacking", "weekdays", "starts_from",
                     "starts_before", "date_from", "date_until", "seat_types", "formats",
                     "movie_ids", "auditorium_ids", "demand_at_least", "demand_below",
                     "lead_hours_min", "lead_hours_max"):
            getattr(self, name).data = getattr(rule, name)
        self.fill_effect(rule.percent, rule.amount_cents)
        for field, cents in ((self.floor, rule.floor_cents), (self.ceiling, rule.ceiling_cents)):
            field.data = "" if cents is None else f"{cents // 100}.{cents % 100:02d}"
        return self


class TicketTypeForm(EffectMixin, FlaskForm):
    name = StringField("Name", filters=[strip], validators=[InputRequired(), Length(max=40)])
    value = StringField("How much", filters=[strip], validators=[Length(max=20)])
    age_restricted = BooleanField("Not for films rated too high (the child rule)")
    is_concession = BooleanField("Concession: the door checks ID")
    enabled = BooleanField("Enabled", default=True)
    sort_order = IntegerField("Order", default=0, validators=[
        InputRequired(), NumberRange(min=0, max=1000)])

    def validate_value(self, field):
        if (field.data or "").strip():
            self.effect()

    def data_for_service(self) -> TicketTypeData:
        percent, amount = self.effect() if (self.value.data or "").strip() else (None, None)
        return TicketTypeData(name=self.name.data, percent=percent, amount_cents=amount,
                              age_restricted=bool(self.age_restricted.data),
                              is_concession=bool(self.is_concession.data),
                              enabled=bool(self.enabled.data), sort_order=self.sort_order.data)
