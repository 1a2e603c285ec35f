"""Django admin for cases: the audit trail only, read-only.

Case and Person are deliberately not registered: the admin would read and change them outside
``visible_to`` and outside the audited services.
"""

from __future__ import annotations

from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "action", "actor", "object_type", "object_id", "case_reference")
    list_filter = ("action", "object_type")
    search_fields = ("case_reference", "object_id", "request_id")
    date_hierarchy = "occurred_at"
    list_select_related = ("actor",)
    ordering = ("-occurred_at", "-id")
    actions = None

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    # Append-only (a database trigger refuses UPDATE and DELETE too).
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
