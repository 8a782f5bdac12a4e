"""The one error type the comm turns into an `ok: false` reply with its message."""


class RequestError(ValueError):
    """A request the helper cannot answer; the message says which field or value was wrong."""
