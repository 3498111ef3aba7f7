"""Holds, confirmation, cancellation, the seat map and its claims, pricing a hold (the engine
and the rules are in ``cinema.pricing``) and its ticket types, payments, promotions, the box
office, tickets and check-in.
"""
