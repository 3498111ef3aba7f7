"""Patrons for the fault suite: they sign in, hold seats and pay with the test card over real
HTTP, and when something goes wrong they do what a person at a browser does: resend the form
once, then reload the booking page (which gives the form a new idempotency key) and pay again.

Every answer (or a connection that broke without one) goes into a ``Journal`` with the time it
came, so a scenario can tell where the 5xx were.
"""
from __future__ import annotations

import http.client
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from tests.load_support import CSRF_META, Patron, Response

CARD = {"payment_method": "card", "card_number": "4242 4242 4242 4242",
        "card_expiry": "12/34", "card_cvc": "123"}
KEY_FIELD = re.compile(r'name="idempotency_key" value="([^"]*)"')
BROKEN = 0  # the status recorded for a connection that ended without an answer
ATTEMPTS = 8  # tries per step before a patron gives up on a booking
PAUSE = 0.3  # seconds a patron waits before trying again


@dataclass
class Entry:
    at: float  # time.time() when the answer (or the broken connection) came
    step: str
    status: int
    sent: float = 0.0  # time.time() when the request went out (0: not recorded)


@dataclass
class Journal:
    """What every patron of a scenario saw, and which bookings they saw confirmed."""

    entries: list[Entry] = field(default_factory=list)
    confirmed: set[int] = field(default_factory=set)
    exchanged: dict[int, int] = field(default_factory=dict)  # booking id -> the new showtime
    cancelled: set[int] = field(default_factory=set)  # bookings seen cancelled
    gave_up: list[str] = field(default_factory=list)
    in_flight_confirms: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, step: str, status: int, sent: float = 0.0) -> None:
        with self.lock:
            self.entries.append(Entry(time.time(), step, status, sent or time.time()))

    def count(self, predicate) -> int:
        with self.lock:
            return sum(1 for entry in self.entries if predicate(entry))


class FaultPatron(Patron):
    """A ``Patron`` that records every answer and rides out broken connections and 5xx."""

    def __init__(self, base_url: str, email: str, password: str, journal: Journal):
        super().__init__(base_url, email, password)
        self.journal = journal

    def attempt(self, step: str, method: str, path: str, **kwargs) -> Response | None:
        """One request; None if the connection broke (a killed worker, a refused connect)."""
        sent = time.time()
        try:
            response = self.request(method, path, timeout=60, **kwargs)
        except (OSError, http.client.HTTPException):
            self.journal.add(step, BROKEN, sent)
            return None
        self.journal.add(step, response.status, sent)
        return response

    def sign_in_patiently(self) -> None:
        for _ in range(ATTEMPTS):
            try:
                self.sign_in()
                return
            except (OSError, http.client.HTTPException, AssertionError):
                time.sleep(PAUSE)
        self.sign_in()  # the last try raises what went wrong

    # --- the steps ---------------------------------------------------------------------------

    def _created(self, step: str, path: str, form: dict, what: str) -> int | None:
        """POST ``form`` until it answers 303 to the new reservation (its id back), again after a
        broken connection or a 5xx; None after a 4xx (the seats could not be had) or ATTEMPTS
        tries, noted in the journal as given up on ``what``."""
        for _ in range(ATTEMPTS):
            response = self.attempt(step, "POST", path, form={"csrf_token": self.csrf_token,
                                                              **form},
                                    headers={"Accept": "application/json"})
            if response is not None and response.status == 303:
                return int(response.headers["location"].rstrip("/").rsplit("/", 1)[1])
            if response is not None and 400 <= response.status < 500:
                self.journal.gave_up.append(f"{what}: {response.status}")
                return None
            time.sleep(PAUSE)
        self.journal.gave_up.append(f"{what}: no answer")
        return None

    def hold_seats(self, showtime_id: int, seat_ids: list[int]) -> int | None:
        """Hold the seats; the reservation id, or None if they could not be had. A repeated
        hold after a lost answer replaces the patron's own earlier hold of the showtime."""
        return self._created("hold", "/bookings/hold",
                             {"showtime_id": showtime_id, "seat_ids": seat_ids},
                             f"hold {seat_ids}")

    def booking_page(self, reservation_id: int) -> tuple[str, str | None]:
        """Load the booking page: ("held", its form's key), ("confirmed", None),
        ("gone", None) for a hold that can no longer be paid, or ("error", None)."""
        page = self.attempt("page", "GET", f"/bookings/{reservation_id}")
        if page is None or page.status != 200:
            return "error", None
        token = CSRF_META.search(page.text)
        if token:
            self.csrf_token = token.group(1)
        key = KEY_FIELD.search(page.text)
        if 'class="pay-form"' in page.text and key:
            return "held", key.group(1)
        if "status-confirmed" in page.text:
            return "confirmed", None
        return "gone", None

    def submit_payment(self, reservation_id: int, key: str) -> Response | None:
        with self.journal.lock:
            self.journal.in_flight_confirms += 1
        try:
            return self.attempt("confirm", "POST", f"/bookings/{reservation_id}/confirm",
                                form={"csrf_token": self.csrf_token, "idempotency_key": key,
                                      **CARD}, headers={"Accept": "application/json"})
        finally:
            with self.journal.lock:
                self.journal.in_flight_confirms -= 1

    def pay(self, reservation_id: int) -> bool:
        """Pay until the booking is confirmed: after a broken connection or a 5xx, resend the
        same form once, then reload the page (a new key) and pay again. True if confirmed."""
        resend = None
        for _ in range(ATTEMPTS):
            if resend is None:
                state, key = self.booking_page(reservation_id)
                if state == "confirmed":
                    return self._confirmed(reservation_id)
                if state == "gone":
                    self.journal.gave_up.append(f"booking {reservation_id}: hold gone")
                    return False
                if state == "error":
                    time.sleep(PAUSE)
                    continue
            else:
                key = resend
            response = self.submit_payment(reservation_id, key)
            if response is not None and response.status == 303:
                return self._confirmed(reservation_id)
            if response is None or response.status >= 500:
                resend = key if resend is None else None
            else:  # a 4xx (payment in progress, hold expired...): look at the page again
                resend = None
            time.sleep(PAUSE)
        self.journal.gave_up.append(f"booking {reservation_id}: not confirmed")
        return False

    def _confirmed(self, reservation_id: int) -> bool:
        with self.journal.lock:
            self.journal.confirmed.add(reservation_id)
        return True

    def book(self, showtime_id: int, seat_ids: list[int]) -> int | None:
        """Hold and pay; the booking's id once confirmed, else None."""
        reservation_id = self.hold_seats(showtime_id, seat_ids)
        if reservation_id is not None and self.pay(reservation_id):
            return reservation_id
        return None

    def hold_for_exchange(self, reservation_id: int, showtime_id: int,
                          seat_ids: list[int]) -> int | None:
        """Hold ``seat_ids`` of another showtime to move the booking to: the hold's id, or
        None if they could not be had (again after a broken connection or a 5xx)."""
        return self._created("exchange-hold", f"/bookings/{reservation_id}/exchange/{showtime_id}",
                             {"seat_ids": seat_ids}, f"exchange {reservation_id}")

    def exchange(self, reservation_id: int, showtime_id: int, seat_ids: list[int]) -> bool:
        """Move a confirmed booking to ``seat_ids`` of another showtime, paying the difference:
        hold the new seats, then confirm; after a broken connection or a 5xx, send the same
        confirm again (it charges once); after a refusal, hold again. True once moved."""
        hold_id = None
        for _ in range(ATTEMPTS):
            if hold_id is None:
                hold_id = self.hold_for_exchange(reservation_id, showtime_id, seat_ids)
                if hold_id is None:
                    return False
            response = self.attempt(
                "exchange", "POST", f"/bookings/{reservation_id}/exchange/{hold_id}/confirm",
                form={"csrf_token": self.csrf_token, **CARD},
                headers={"Accept": "application/json"})
            if response is not None and response.status == 303:
                with self.journal.lock:
                    self.journal.exchanged[reservation_id] = showtime_id
                return True
            if response is not None and 400 <= response.status < 500 and response.status != 409:
                hold_id = None  # the hold ran out or was refused: choose the seats again
            time.sleep(PAUSE)
        self.journal.gave_up.append(f"exchange {reservation_id}: not moved")
        return False

    def cancel(self, reservation_id: int) -> bool:
        """Cancel the booking (the refund follows), sending again after a broken connection or
        a 5xx; a 4xx (perhaps the first try did cancel it) is checked on the booking page.
        True once it is cancelled."""
        for _ in range(ATTEMPTS):
            response = self.attempt("cancel", "POST", f"/bookings/{reservation_id}/cancel",
                                    form={"csrf_token": self.csrf_token, "confirm": "1"},
                                    headers={"Accept": "application/json"})
            if response is not None and 300 <= response.status < 500:
                page = self.attempt("page", "GET", f"/bookings/{reservation_id}")
                if page is not None and 'status-cancelled' in page.text:
                    with self.journal.lock:
                        self.journal.cancelled.add(reservation_id)
                    return True
            time.sleep(PAUSE)
        self.journal.gave_up.append(f"cancel {reservation_id}: not cancelled")
        return False


class Clerk(FaultPatron):
    """A box-office clerk (STAFF): sells seats paid in cash to a customer, then moves the
    booking at the counter like a patron moves one online (the same pages; no card: the
    difference is cash in the till)."""

    def __init__(self, base_url: str, email: str, password: str, journal: Journal,
                 customers: list[str]):
        super().__init__(base_url, email, password, journal)
        self.customers = customers

    def book(self, showtime_id: int, seat_ids: list[int]) -> int | None:
        """Sell the seats to the next customer; the booking's id, or None. A sale resent after
        a lost answer is refused (409) if the first went through: it is then given up on."""
        customer = self.customers[seat_ids[0] % len(self.customers)]
        reservation_id = self._created("sell", "/staff/box-office/sell",
                                       {"showtime_id": showtime_id, "seat_ids": seat_ids,
                                        "customer_email": customer}, f"sale {seat_ids}")
        if reservation_id is not None:
            self._confirmed(reservation_id)
        return reservation_id


class Seats:
    """The (showtime, seat pair) slots a scenario hands out, each to one booking."""

    def __init__(self, slots: list[tuple[int, list[int]]]):
        self._slots: Iterator = iter(slots)
        self._lock = threading.Lock()

    def take(self) -> tuple[int, list[int]] | None:
        with self._lock:
            return next(self._slots, None)


def keep_booking(patrons: list[FaultPatron], seats: Seats, stop: threading.Event,
                 pause: float = 0.0, exchange_to: Seats | None = None,
                 cancel_mid_exchange: bool = False) -> threading.Thread:
    """Start every patron booking slot after slot (``pause`` seconds apart), each in its own
    thread, until ``stop`` is set or the slots run out; with ``exchange_to``, each booking is
    then moved to a slot of those, or with ``cancel_mid_exchange`` its new seats are held and
    the booking is cancelled with that change under way. Join the returned thread to wait."""

    def run(patron: FaultPatron):
        while not stop.is_set():
            slot = seats.take()
            if slot is None:
                return
            booked = patron.book(*slot)
            target = exchange_to.take() if booked and exchange_to is not None else None
            if target is not None and cancel_mid_exchange:
                patron.hold_for_exchange(booked, *target)
                patron.cancel(booked)
            elif target is not None:
                patron.exchange(booked, *target)
            stop.wait(pause)

    def run_all():
        threads = [threading.Thread(target=run, args=(patron,), daemon=True)
                   for patron in patrons]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)

    runner = threading.Thread(target=run_all, daemon=True)
    runner.start()
    return runner
