"""The admin form of a promo code: a percentage or an amount typed as money (never a float)."""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from cinema.booking.promo_codes import AMOUNT, PERCENT, PromoData
from cinema.forms.catalogue_admin import price_cents, strip
from cinema.money import amount_text

_PERCENT = re.compile(r"^(\d{1,3})\s*%?$")


class PromoCodeForm(FlaskForm):
    code = StringField("Code", filters=[strip], validators=[
        InputRequired("Type the code patrons will enter."), Length(min=3, max=40),
        Regexp(r"^[A-Za-z0-9-]+$", message="Letters, digits and dashes only.")])
    description = StringField("Description", filters=[strip], validators=[Length(max=200)])
    kind = RadioField("Discount", default=PERCENT, choices=[
        SelectChoice(PERCENT, "Percentage off each seat"),
        SelectChoice(AMOUNT, "Fixed amount off the booking")])
    value = StringField("Amount", filters=[strip], validators=[
        InputRequired("How much off? e.g. 10 (percent) or 2.50 (amount)."), Length(max=20)])
    valid_from = DateField("First day", validators=[Optional()])
    valid_until = DateField("Last day", validators=[Optional()])
    max_uses = IntegerField("Maximum uses", validators=[
        Optional(), NumberRange(min=1, max=1_000_000, message="At least 1, or leave empty.")])

    def validate_value(self, field):
        self.value_number()

    def validate_valid_until(self, field):
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise ValidationError("The last day cannot be before the first day.")

    def value_number(self) -> int:
        """The percent (1-100) or the amount in cents (> 0), as the kind says."""
        text = (self.value.data or "").strip()
        if self.kind.data == AMOUNT:
            cents = price_cents(text)  # "2.50" -> 250 through Decimal
            if cents <= 0:
                raise ValidationError("More than 0.00.")
            return cents
        match = _PERCENT.match(text)
        if not match or not 1 <= int(match.group(1)) <= 100:
            raise ValidationError("A whole percentage from 1 to 100.")
        return int(match.group(1))

    def data_for_service(self) -> PromoData:
        return PromoData(code=self.code.data, description=self.description.data or "",
                         kind=self.kind.data, value=self.value_number(),
                         first_day=self.valid_from.data, last_day=self.valid_until.data,
                         max_uses=self.max_uses.data)

    def fill_from(self, promo, first_day, last_day) -> "PromoCodeForm":
        """Show a stored code in the form (the edit page)."""
        self.code.data, self.description.data = promo.code, promo.description
        if promo.percent_off is not None:
            self.kind.data, self.value.data = PERCENT, str(promo.percent_off)
        else:
            self.kind.data, self.value.data = AMOUNT, amount_text(promo.amount_off_cents)
        self.valid_from.data, self.valid_until.data = first_day, last_day
        self.max_uses.data = promo.max_uses
        return self
