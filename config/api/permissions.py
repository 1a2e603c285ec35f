"""Role permissions for API views. Anyone signed in without the role gets the one 404, so an
endpoint does not even show that it exists; anonymous requests get 403."""

from rest_framework import exceptions, permissions


class _RolePermission(permissions.IsAuthenticated):
    def has_role(self, user) -> bool:
        raise NotImplementedError

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if not self.has_role(request.user):
            raise exceptions.NotFound
        return True


class IsCentralAdmin(_RolePermission):
    def has_role(self, user) -> bool:
        return user.sees_all_missions


class IsResearcher(_RolePermission):
    def has_role(self, user) -> bool:
        return user.is_researcher


class IsResearcherOrCentralAdmin(_RolePermission):
    def has_role(self, user) -> bool:
        return user.is_researcher or user.sees_all_missions
