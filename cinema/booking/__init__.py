"""Holds, confirmation, cancellation, the seat map and its claims, pricing, payments, promotions,
the box office, tickets and check-in.
"""
