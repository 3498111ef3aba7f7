"""Pricing: the rules admins run (conditions, effects, floors and ceilings, stacking), the
ticket types (Adult, Child, Senior, Student), the pure engine that prices one seat into line
items (``engine``), the price book that reads rules, types and occupancy from the database
(``price_book``), the admin's rules and types with their 14-day preview (``rules_admin``) and
the default book the migration seeds (``defaults``). Booking calls it; it never calls booking.
"""
