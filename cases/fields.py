"""Model fields encrypted at rest. The database only ever holds Fernet tokens."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.db import models

from . import crypto


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token. Empty stays empty; it cannot be searched or ordered."""

    def from_db_value(self, value: str | None, expression, connection) -> Any:
        if value is None or value == "":
            return self._empty()
        return self._from_plaintext(crypto.decrypt(value))

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        plaintext = self._to_plaintext(value)
        if plaintext == "":
            return ""
        return crypto.encrypt(plaintext)

    def get_prep_values(self, values: list[Any]) -> list[str | None]:
        """``get_prep_value`` of each value, encrypted in one batch (bulk loads)."""
        plaintexts = [None if v is None else self._to_plaintext(v) for v in values]
        wanted = [p for p in plaintexts if p]
        tokens = iter(crypto.encrypt_many(wanted))
        return [p if not p else next(tokens) for p in plaintexts]

    def get_lookup(self, lookup_name: str):
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)

    def _empty(self) -> Any:
        return ""

    def _to_plaintext(self, value: Any) -> str:
        return str(value)

    def _from_plaintext(self, plaintext: str) -> Any:
        return plaintext


class EncryptedDateField(EncryptedTextField):
    def _empty(self) -> Any:
        return None

    def to_python(self, value: Any) -> datetime.date | None:
        if value in (None, ""):
            return None
        if isinstance(value, datetime.date):
            return value
        return datetime.date.fromisoformat(str(value))

    def _to_plaintext(self, value: Any) -> str:
        value = self.to_python(value)
        return value.isoformat() if value else ""

    def _from_plaintext(self, plaintext: str) -> datetime.date:
        return datetime.date.fromisoformat(plaintext)

    def formfield(self, **kwargs):
        from django import forms

        return forms.DateField(**{"required": not self.blank, **kwargs})


class EncryptedListField(EncryptedTextField):
    """A list of short strings (aliases, document numbers) stored as one encrypted JSON array."""

    def _empty(self) -> Any:
        return []

    def to_python(self, value: Any) -> list[str]:
        if value in (None, ""):
            return []
        if isinstance(value, str):
            return json.loads(value)
        return [str(v) for v in value]

    def _to_plaintext(self, value: Any) -> str:
        items = [str(v) for v in self.to_python(value) if str(v).strip()]
        return json.dumps(items, ensure_ascii=False) if items else ""

    def _from_plaintext(self, plaintext: str) -> list[str]:
        return json.loads(plaintext)
