"""Django admin for system administrators (superusers) only; everyday management of users and
missions is the central administrators' pages. Every change made here is audited too."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.audit import audit_record
from cases.models import AuditAction

from .models import Membership, Mission, User
from .services import EMAIL_TAKEN_MESSAGE, RESEARCHER_NO_MEMBERSHIP_MESSAGE


class SuperuserOnlyMixin:
    """Staff accounts that are not superusers see nothing of these models."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class _EmailCleanMixin:
    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"].strip()).lower()
        taken = User.objects.filter(email__iexact=email)
        if self.instance.pk is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(EMAIL_TAKEN_MESSAGE)
        return email


class UserAdminCreationForm(_EmailCleanMixin, BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class UserAdminChangeForm(_EmailCleanMixin, DjangoUserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(SuperuserOnlyMixin, DjangoUserAdmin):
    form = UserAdminChangeForm
    add_form = UserAdminCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("full_name",)}),
        (
            _("Roles"),
            {"fields": ("is_active", "is_central_admin", "is_researcher")},
        ),
        (
            _("System administration"),
            {"fields": ("is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")},
        ),
    )
    readonly_fields = ("last_login", "date_joined")
    list_display = ("email", "full_name", "is_central_admin", "is_researcher", "is_active")
    list_filter = ("is_active", "is_central_admin", "is_researcher", "is_superuser")
    search_fields = ("email", "full_name")
    ordering = ("email",)
    actions = None

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        # The admin's change view runs in one transaction: the audit row commits with the save.
        if change:
            audit_record(
                actor=request.user,
                action=AuditAction.USER_UPDATED,
                obj=obj,
                detail={"fields": sorted(form.changed_data)},
            )
        else:
            audit_record(actor=request.user, action=AuditAction.USER_CREATED, obj=obj)


@admin.register(Mission)
class MissionAdmin(SuperuserOnlyMixin, admin.ModelAdmin):
    list_display = ("code", "name", "country", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name")
    actions = None

    def get_readonly_fields(self, request, obj=None):
        # Case references carry the code: it is fixed once the mission exists.
        return ("code",) if obj is not None else ()

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action=AuditAction.MISSION_UPDATED if change else AuditAction.MISSION_CREATED,
            obj=obj,
            mission_id=obj.pk,
            detail={"fields": sorted(form.changed_data)},
        )


class MembershipAdminForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("user", "mission", "role")

    def clean(self) -> dict:
        cleaned_data = super().clean()
        user = cleaned_data.get("user")
        if user is not None and user.is_researcher:
            self.add_error("user", RESEARCHER_NO_MEMBERSHIP_MESSAGE)
        return cleaned_data


@admin.register(Membership)
class MembershipAdmin(SuperuserOnlyMixin, admin.ModelAdmin):
    form = MembershipAdminForm
    list_display = ("user", "mission", "role", "created_at")
    list_filter = ("role", "mission")
    list_select_related = ("user", "mission")
    raw_id_fields = ("user",)
    actions = None

    def has_change_permission(self, request, obj=None) -> bool:
        # A membership is added or removed, never edited in place.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action=AuditAction.MEMBERSHIP_ADDED,
            obj=obj,
            mission_id=obj.mission_id,
            detail={"user_id": obj.user_id, "role": obj.role},
        )

    def delete_model(self, request, obj) -> None:
        audit_record(
            actor=request.user,
            action=AuditAction.MEMBERSHIP_REMOVED,
            obj=obj,
            mission_id=obj.mission_id,
            detail={"user_id": obj.user_id, "role": obj.role},
        )
        super().delete_model(request, obj)


# django-otp's TOTP admin shows each secret as a QR code. Harbour's apps live in
# AuthenticatorApp (secret encrypted) and are reset from the user's page, never seen here.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
