"""The outbox, notifications and their templates' context, delivery over SMTP and reminders.
"""
