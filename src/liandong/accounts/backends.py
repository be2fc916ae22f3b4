"""Django's model backend, loading the signed-in user's unit with the user: every screen asks
which unit the user belongs to (the gate, the bell, the header), so it comes in the same query."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from liandong.accounts.models import User


class UserWithUnitBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:  # type: ignore[override]
        user = User.objects.select_related("unit").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
