"""A patron's review of a film, and an admin's reason for hiding one."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from cinema.forms.accounts import strip
from cinema.models.review import MAX_HIDE_REASON, MAX_REVIEW_BODY

STAR_CHOICES = [SelectChoice(stars, f"{stars} star" + ("s" if stars > 1 else "")) for stars in range(5, 0, -1)]


class ReviewForm(FlaskForm):
    rating = RadioField("Your rating", choices=STAR_CHOICES, coerce=int,
                        validators=[InputRequired(message="Choose from 1 to 5 stars.")])
    body = TextAreaField("Your review (optional)", filters=[strip],
                         validators=[Length(max=MAX_REVIEW_BODY)])


class HideReviewForm(FlaskForm):
    reason = StringField("Reason shown to the author", filters=[strip],
                         validators=[DataRequired(), Length(max=MAX_HIDE_REASON)])
