"""The reports on the zero-setup SQLite mode: same pages, no 500 (run in a subprocess)."""
from __future__ import annotations

from tests.sqlite_mode import FLASK, embedded_env, run, run_python

CHECK = """
from datetime import datetime, timedelta, timezone
import sqlalchemy as sa
from cinema import create_app
from cinema.extensions import db
from cinema.models import Reservation, ReservationStatus, ReservedSeat, Seat, Showtime, User
app = create_app({"WTF_CSRF_ENABLED": False})
with app.app_context():
    # One confirmed booking on the first demo showtime, confirmed just after local midnight
    # in summer time (23:30 UTC = 00:30 BST): it belongs to the next local day.
    showtime = db.session.scalars(sa.select(Showtime).order_by(Showtime.id)).first()
    seat = db.session.scalars(sa.select(Seat).where(Seat.auditorium_id == showtime.auditorium_id)).first()
    patron = db.session.scalar(sa.select(User).where(User.email == "patron@lumen.example"))
    at = datetime(2026, 7, 1, 23, 30, tzinfo=timezone.utc)
    r = Reservation(user_id=patron.id, showtime_id=showtime.id, status=ReservationStatus.CONFIRMED,
                    confirmed_at=at, hold_expires_at=at, total_price_cents=1250)
    r.seats.append(ReservedSeat(showtime_id=showtime.id, seat_id=seat.id, base_price_cents=1250,
                                price_cents=1250))
    db.session.add(r)
    db.session.commit()
    from cinema.reports import reports
    from cinema.reports.report_dates import DateRange
    from datetime import date
    days = reports.revenue_by_day(DateRange(date(2026, 6, 30), date(2026, 7, 3)), reports.Filters())
    assert [(d.key.isoformat(), d.sales_cents) for d in days if d.sales_cents] == [("2026-07-02", 1250)], days
    # The same from the rollups: the days summed (closed by then), then read back.
    later = datetime(2027, 1, 1, tzinfo=timezone.utc)
    for _ in range(2):
        again = reports.revenue_by_day(DateRange(date(2026, 6, 30), date(2026, 7, 3)), reports.Filters(), now=later)
        assert [(d.key, d.sales_cents) for d in again] == [(d.key, d.sales_cents) for d in days], again
    year = DateRange(date(2026, 1, 1), date(2026, 12, 31))
    live = reports.occupancy_report(year, now=datetime(2000, 1, 1, tzinfo=timezone.utc))
    counted = reports.occupancy_report(year, now=later)
    assert (counted.total.sold, counted.total.sold_by_type) == (live.total.sold, live.total.sold_by_type)
    assert live.total.sold > 0
client = app.test_client()
signed_in = client.post("/auth/login", data={"email": "staff@lumen.example", "password": "staff-demo-pass"})
assert signed_in.status_code == 303
for url in ["/admin/reports/revenue", "/admin/reports/revenue?date_from=2026-06-01&date_to=2026-07-31",
            "/admin/reports/revenue?date_from=2026-06-01&date_to=2026-07-31&format=csv",
            "/admin/reports/occupancy", "/admin/reports/occupancy?format=csv",
            "/admin/reports/user-stats?period=week", "/admin/reports/user-stats?period=month&format=csv",
            "/admin/reports/user-stats?date_from=2026-01-01&date_to=2026-12-31"]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
revenue_csv = client.get("/admin/reports/revenue?date_from=2026-06-01&date_to=2026-07-31&format=csv")
assert "12.50" in revenue_csv.get_data(as_text=True)
admin = app.test_client()
admin.post("/auth/login", data={"email": "admin@lumen.example", "password": "admin-demo-pass"})
for url in ["/admin/", "/admin/bookings", "/admin/bookings?email=patron&status=CONFIRMED"]:
    assert admin.get(url).status_code == 200, url
r = client.post("/admin/reports/exports", data={"kind": "revenue", "date_from": "2026-01-01", "date_to": "2026-12-31"})
assert r.status_code == 303, r.status_code
page = client.get(r.headers["Location"]).get_data(as_text=True)
assert "Download" in page, page
print("ok")
"""


def test_reports_dashboard_and_bookings_work_on_sqlite(tmp_path):
    env = embedded_env(tmp_path)
    run(FLASK + ["db", "upgrade"], env)
    run(FLASK + ["seed-demo"], env)
    assert run_python(CHECK, env).strip().endswith("ok")
    assert "dropped" in run(FLASK + ["forget-report-rollups", "--from", "2026-01-01"], env)
