"""Flask-WTF forms, one module per area."""

from cinema.exceptions import ValidationFailed


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."


def error_summary(form) -> str:
    """Every problem, each naming its field as the form labels it: "Please check the form:
    Title: This field is required. Duration: Must be at least 1." (issue 16: the summary named
    no field; it named only the first until a form with three mistakes was fixed one at a time)."""
    problems = []
    for name, messages in form.errors.items():
        field = form._fields.get(name)
        label = field.label.text if field is not None and field.label else name
        message = messages[0] if isinstance(messages, (list, tuple)) and messages else messages
        if isinstance(message, dict):  # a FormField's errors: its first sub-field's
            message = next(iter(message.values()), [""])[0]
        problems.append(f"{label}: {_sentence(str(message))}")
    return "Please check the form: " + " ".join(problems) if problems else "Please check the form."


def validate_or_raise(form) -> None:
    """Raise ValidationFailed (422) with the form's field errors unless it validates."""
    if not form.validate_on_submit():
        raise ValidationFailed(error_summary(form), field_errors=form.errors)
