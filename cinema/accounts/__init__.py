"""Signup, login, password reset, profile, the users' admin and the audit log.
"""
