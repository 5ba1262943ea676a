"""Errors a user can act on: their message is shown as written, never a stack trace."""


class UserError(Exception):
    """Something the person asked for cannot be done; the message says why and what next."""
