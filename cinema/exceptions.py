"""Every domain exception, with the HTTP status and the stable ``error_code`` it is answered with.

Services raise these; routes never catch them; ``cinema.errors`` holds the one Flask handler that
renders any of them as a page, an HTMX partial or the JSON error body. Each class's docstring is
its meaning in docs/ERROR_CODES.md (tests/test_error_codes.py keeps that table equal to this
module). This module imports nothing of the app, so any layer may import it.
"""
from __future__ import annotations


class DomainError(Exception):
    """The request could not be completed (the base of every expected failure)."""

    status_code = 400
    error_code = "BAD_REQUEST"
    default_detail = "The request could not be completed."

    def __init__(self, detail: str | None = None, *, field_errors: dict | None = None, **extra):
        super().__init__(detail or self.default_detail)
        self.detail = detail or self.default_detail
        self.field_errors = field_errors or {}
        self.extra = extra


# --- the general kinds ----------------------------------------------------------------------

class ValidationFailed(DomainError):
    """Some input is not valid; ``field_errors`` names the fields."""

    status_code = 422
    error_code = "VALIDATION_ERROR"
    default_detail = "Some of the information given is not valid."


class Problems:
    """Input problems gathered so that all of them are named at once, not one per try: ``add``
    each, then ``check`` raises one ValidationFailed whose detail joins their messages."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.field_errors: dict[str, list[str]] = {}

    def add(self, message: str, field: str, field_message: str | None = None) -> None:
        self.messages.append(message)
        self.field_errors.setdefault(field, []).append(field_message or message)

    def check(self) -> None:
        if self.messages:
            raise ValidationFailed(" ".join(self.messages), field_errors=self.field_errors)


class NotFound(DomainError):
    """No such thing, or not one the caller may see."""

    status_code = 404
    error_code = "NOT_FOUND"
    default_detail = "We could not find that."


class Unauthorized(DomainError):
    """Not signed in (or no valid access token)."""

    status_code = 401
    error_code = "AUTH_REQUIRED"
    default_detail = "Please sign in to continue."


class Forbidden(DomainError):
    """Signed in, but the role does not allow this."""

    status_code = 403
    error_code = "FORBIDDEN"
    default_detail = "You do not have permission to do that."


class Conflict(DomainError):
    """The request conflicts with the current state."""

    status_code = 409
    error_code = "CONFLICT"
    default_detail = "That conflicts with the current state."


class InvalidState(Conflict):
    """The thing is not in a state that allows this (e.g. cancelling a cancelled booking)."""

    error_code = "INVALID_STATE"


class PaymentDeclined(DomainError):
    """The card payment was declined; the seats stay held."""

    status_code = 402
    error_code = "PAYMENT_DECLINED"
    default_detail = "The payment was declined."


class RateLimited(DomainError):
    """Too many attempts from this client; retry after a minute."""

    status_code = 429
    error_code = "RATE_LIMITED"
    default_detail = "Too many attempts. Please wait a minute and try again."


# --- accounts -------------------------------------------------------------------------------

class EmailTaken(Conflict):
    """An account with that email already exists."""

    error_code = "EMAIL_TAKEN"
    default_detail = "An account with that email already exists."


class ResetLinkInvalid(DomainError):
    """A password reset link that is forged, used or incomplete."""

    status_code = 400
    error_code = "RESET_LINK_INVALID"
    default_detail = ("This password reset link is not valid: it may have been used already or "
                      "copied incompletely. Ask for a new one below.")


class ResetLinkExpired(ResetLinkInvalid):
    """A password reset link older than an hour."""

    error_code = "RESET_LINK_EXPIRED"
    default_detail = "This password reset link has expired (links last one hour). Ask for a new one below."


class TokenExpired(Unauthorized):
    """The API access token has expired: refresh it."""

    error_code = "TOKEN_EXPIRED"
    default_detail = "Your access token has expired. Refresh it and try again."


class InvalidRefreshToken(Unauthorized):
    """An API refresh token that is unknown, expired, revoked or reused: sign in again."""

    error_code = "INVALID_REFRESH_TOKEN"
    default_detail = "That refresh token is not valid. Please sign in again."


# --- seats and showtimes --------------------------------------------------------------------

class SeatAlreadyBooked(Conflict):
    """One of the seats is already sold."""

    error_code = "SEAT_BOOKED"
    default_detail = "One or more of those seats has already been sold."


class SeatAlreadyHeld(Conflict):
    """One of the seats is held by another booking being paid for."""

    error_code = "SEAT_HELD"
    default_detail = "One or more of those seats is being booked by someone else."


class SingleSeatGap(ValidationFailed):
    """The hold would leave a single free seat on its own in a row."""

    error_code = "SINGLE_SEAT_GAP"


class SeatPairSplit(ValidationFailed):
    """The hold has half a couple seat, or a companion seat without its wheelchair space."""

    error_code = "SEAT_PAIR_SPLIT"


class TicketTypeNotAllowed(ValidationFailed):
    """A ticket type not sold for this film (a Child ticket for a film rated too high)."""

    error_code = "TICKET_TYPE_NOT_ALLOWED"
    default_detail = "That ticket type is not sold for this film."


class HoldExpired(Conflict):
    """The hold on the seats ran out before payment."""

    error_code = "HOLD_EXPIRED"
    default_detail = "Your hold on these seats has expired. Please choose your seats again."


class ShowtimeConflict(Conflict):
    """The auditorium is already in use at that time (with the cleaning buffer)."""

    error_code = "SHOWTIME_CONFLICT"
    default_detail = "That auditorium is already in use at that time."


class ShowtimeUnavailable(Conflict):
    """The showtime is cancelled or over, so it cannot be booked."""

    error_code = "SHOWTIME_UNAVAILABLE"
    default_detail = "This showtime can no longer be booked."


class ShowtimeStarted(ShowtimeUnavailable):
    """The showtime started before the booking was paid for."""

    error_code = "SHOWTIME_STARTED"
    default_detail = "This showtime has already started, so it can no longer be booked."


class CancellationClosed(Conflict):
    """Too close to the start to cancel the booking."""

    error_code = "CANCELLATION_CLOSED"


# --- payments and promo codes ---------------------------------------------------------------

class PaymentInProgress(Conflict):
    """Another request is paying for this booking (or already paid)."""

    error_code = "PAYMENT_IN_PROGRESS"
    default_detail = "This payment is already being processed. Please wait a moment."


class TotalChanged(Conflict):
    """A promo code changed the total during the payment, which was given back."""

    error_code = "TOTAL_CHANGED"
    default_detail = ("The total of this booking changed while you were paying, so the payment "
                      "was given back. Please check the new total and pay again.")


class PromoUnknown(ValidationFailed):
    """No such promo code (or it was withdrawn)."""

    error_code = "PROMO_UNKNOWN"
    default_detail = "We do not know that promo code."


class PromoNotYetValid(ValidationFailed):
    """The promo code's validity has not started."""

    error_code = "PROMO_NOT_YET_VALID"
    default_detail = "That promo code cannot be used yet."


class PromoExpired(ValidationFailed):
    """The promo code's validity has ended."""

    error_code = "PROMO_EXPIRED"
    default_detail = "That promo code has expired."


class PromoExhausted(Conflict):
    """The promo code has been used its maximum number of times."""

    error_code = "PROMO_EXHAUSTED"
    default_detail = "That promo code has been used as many times as it can be."


# --- check-in at the door -------------------------------------------------------------------

class CodeUnknown(NotFound):
    """No booking has the typed or scanned code."""

    error_code = "CODE_UNKNOWN"
    default_detail = "No booking has this code. Check the code, or ask for the booking email."


class CodeForged(ValidationFailed):
    """A QR code whose signature does not match: not issued by us."""

    error_code = "CODE_FORGED"
    default_detail = ("This QR code was not issued by us or has been altered. Do not admit; "
                      "ask for the booking email or a photo ID.")


class BookingCancelled(Conflict):
    """Check-in of a cancelled booking."""

    error_code = "BOOKING_CANCELLED"
    default_detail = "This booking was cancelled."


class BookingHeld(Conflict):
    """Check-in of a booking that was never paid for."""

    error_code = "BOOKING_HELD"
    default_detail = "This booking was never paid for: the seats were only held."


class Unpaid(Conflict):
    """A "pay at the box office" booking not paid yet: take the payment first."""

    error_code = "UNPAID"
    default_detail = "This booking has not been paid. Take the payment before admitting."


class AlreadyAdmitted(Conflict):
    """The booking has already been admitted once."""

    error_code = "ALREADY_ADMITTED"
    default_detail = "This booking has already been admitted."


class WrongDay(Conflict):
    """The booking is for another day's showtime."""

    error_code = "WRONG_DAY"
    default_detail = "This booking is for another day."


# --- patrons: reviews, wishlist, waitlist ---------------------------------------------------

class NotAVerifiedViewer(Forbidden):
    """Only a verified viewer (admitted, or confirmed for an ended showtime) may review the film."""

    error_code = "NOT_A_VERIFIED_VIEWER"
    default_detail = "Only patrons who have seen this film here can review it."


class AlreadyReviewed(Conflict):
    """The patron has already reviewed this film (one review per patron per film)."""

    error_code = "ALREADY_REVIEWED"
    default_detail = "You have already reviewed this film: edit your review instead."


class InvalidUnsubscribeLink(DomainError):
    """A wishlist unsubscribe link that is forged, broken or names no account."""

    error_code = "INVALID_UNSUBSCRIBE_LINK"
    default_detail = ("That unsubscribe link is not valid. Sign in and change the setting on "
                      "your account page instead.")


class AlreadyWaiting(Conflict):
    """The patron is already on this showtime's waitlist."""

    error_code = "ALREADY_WAITING"
    default_detail = "You are already on the waitlist of this showtime."


class SeatsStillFree(Conflict):
    """Enough seats are free for the party: book them instead of joining the waitlist."""

    error_code = "SEATS_STILL_FREE"
    default_detail = "There are enough free seats for your party: choose them on the seat map."
