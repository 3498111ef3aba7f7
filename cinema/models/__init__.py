"""All models, importable from ``cinema.models``."""
from cinema.models.api_token import RefreshToken
from cinema.models.base import AuditMixin, UTCDateTime, utcnow
from cinema.models.booking import (
    COMPENSATION_PREFIX,
    EXCHANGE_REFUND_PREFIX,
    Payment,
    PromoCode,
    Reservation,
    ReservedSeat,
    new_booking_code,
)
from cinema.models.catalogue import Auditorium, Genre, Movie, MovieGenre, Seat
from cinema.models.enums import (
    CancelReason,
    OutboxStatus,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    ReservationStatus,
    SeatType,
    UserRole,
)
from cinema.models.gateway import SimulatedGatewayEntry
from cinema.models.messaging import AuditLog, OutboxEmail
from cinema.models.pricing import PricingRule, SeatLineItem, TicketType
from cinema.models.review import Review
from cinema.models.rollup import ClosedReportDay, DaySales, ShowtimeSales
from cinema.models.showtime import Showtime
from cinema.models.user import User
from cinema.models.waitlist import WaitlistEntry, WaitlistStatus
from cinema.models.wishlist import WishlistItem

__all__ = [
    "COMPENSATION_PREFIX",
    "EXCHANGE_REFUND_PREFIX",
    "AuditLog", "AuditMixin", "Auditorium", "CancelReason", "ClosedReportDay", "DaySales", "Genre",
    "Movie", "MovieGenre", "OutboxEmail", "OutboxStatus", "Payment", "PaymentKind",
    "PaymentMethod", "PaymentStatus", "PricingRule", "PromoCode", "RefreshToken", "Reservation",
    "ReservationStatus", "ReservedSeat", "Review", "Seat", "SeatLineItem", "SeatType", "Showtime",
    "ShowtimeSales", "SimulatedGatewayEntry", "TicketType", "UTCDateTime", "User", "UserRole",
    "WaitlistEntry", "WaitlistStatus", "WishlistItem", "new_booking_code", "utcnow",
]
