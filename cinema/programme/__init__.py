"""Auditoriums, seats and layouts (venues), showtimes, series and the cancellation of a showtime
(scheduling, cancellation).
"""
