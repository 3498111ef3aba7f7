"""The default price book: the matinee and weekend rules configuration used to apply, and the
Adult, Child, Senior and Student ticket types. The migration that created the tables seeds the
same rows; ``seed`` writes them into an empty book (the tests' clean database)."""
from __future__ import annotations

from cinema.extensions import db
from cinema.models import PricingRule, TicketType
from cinema.settings import Settings


def seed(settings: Settings) -> None:
    """Add the default rules and ticket types; the caller commits."""
    db.session.add_all([
        PricingRule(name="Matinee", amount_cents=-settings.matinee_discount_cents,
                    weekdays=[0, 1, 2, 3, 4], starts_before=settings.matinee_before),
        PricingRule(name="Weekend", amount_cents=settings.weekend_surcharge_cents,
                    weekdays=[5, 6]),
        TicketType(name="Adult", sort_order=0),
        TicketType(name="Child", percent=-25, age_restricted=True, is_concession=True,
                   sort_order=1),
        TicketType(name="Senior", percent=-20, is_concession=True, sort_order=2),
        TicketType(name="Student", percent=-15, is_concession=True, sort_order=3),
    ])
