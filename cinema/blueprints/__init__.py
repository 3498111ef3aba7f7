"""Blueprints: public, auth, bookings (patron), admin, reports (admin + staff), staff."""
