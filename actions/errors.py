"""Turn any exception from the lower layers into one sentence a person can act on.

chain/, storage/, ml/ and protocol.py raise their own error types whose
messages are already written for people; everything else (a bug, a library
error) is named by type so it is not mistaken for advice.
"""

from __future__ import annotations

# Packages whose exceptions carry plain sentences meant for the user.
_PLAIN_MODULES = ("chain", "storage", "ml", "protocol", "actions")


class ActionError(Exception):
    """A request the actions layer refuses before touching the chain or the store, with a reason."""


def plain_error(exc: BaseException) -> str:
    """One readable sentence for ``exc``."""
    module = type(exc).__module__.split(".")[0]
    text = str(exc).strip() or type(exc).__name__
    if module in _PLAIN_MODULES or isinstance(exc, ValueError | FileNotFoundError | PermissionError):
        return text
    if isinstance(exc, TimeoutError):
        return f"Timed out: {text}"
    if isinstance(exc, ConnectionError | OSError):
        return f"Could not reach a service: {text}"
    return f"Unexpected error ({type(exc).__name__}): {text}"
