"""Signup, login, password reset, profile, API tokens and the users' admin (the audit log is
cinema/audit.py, used by every package).
"""
