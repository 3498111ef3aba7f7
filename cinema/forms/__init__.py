"""Flask-WTF forms, one module per area."""

from cinema.exceptions import ValidationFailed


def validate_or_raise(form) -> None:
    """Raise ValidationFailed (422) with the form's field errors unless it validates."""
    if not form.validate_on_submit():
        first = next(iter(form.errors.values()), ["Please check the form."])
        raise ValidationFailed(f"Please check the form: {first[0]}", field_errors=form.errors)
