"""The auth service's typed errors (meridian.errors subclasses; `meridian.api` answers them as problem+json)."""
from __future__ import annotations

from meridian.errors import Conflict


class EmailTaken(Conflict):
    """Another account has this e-mail address (compared case-insensitively)."""

    def __init__(self, detail: str = "An account with this e-mail address already exists."):
        super().__init__(detail)


class FirstSuperAdminExists(Conflict):
    """The stack's one-time bootstrap marker exists: its first super_admin was made already."""

    def __init__(self, detail: str = "The first super_admin of this stack was already created."):
        super().__init__(detail)


class AccountChanged(Conflict):
    """The account changed (password reset, deleted) between reading it and a write conditional on what was read."""

    def __init__(self, detail: str = "The account changed meanwhile."):
        super().__init__(detail)
