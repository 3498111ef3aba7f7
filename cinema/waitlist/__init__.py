"""The waitlist of sold-out showtimes: ``line`` (joining, leaving, positions, the admin's
counts) and ``offers`` (when seats free up, a hold made for the first party that fits)."""
