from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

UNKNOWN_FIELD_MESSAGE = _("Unknown field.")


class StrictInputSerializer(serializers.Serializer):
    """Refuses keys it does not know, so a misspelt or read-only field is not silently lost."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(str(key) for key in data if key not in self.fields)
            if unknown:
                raise serializers.ValidationError({key: [UNKNOWN_FIELD_MESSAGE] for key in unknown})
        return super().to_internal_value(data)
