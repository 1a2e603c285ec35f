"""Helpers shared by the benchmark scripts (not a benchmark itself: no ``bench_`` prefix).

The scripts fill tables with ``INSERT ... SELECT`` generators inside PostgreSQL, which knows
nothing of Django's field defaults. A column added to a model later would arrive NULL and a
NOT NULL constraint would refuse the row (how ``bench_extract.py`` once rotted). ``complete``
finishes such a statement: every concrete column the generator leaves out gets the field's
default (``""`` for text, as Django saves it), or NULL if the field allows it; a column with
neither stops the benchmark with a message that names it.
"""

from __future__ import annotations

import re
import sys
from urllib.parse import urlsplit

_MARKER = re.compile(r"/\*(columns|values):(\w+)\*/")


def missing_columns(table: str, given: list[str]) -> list[tuple[str, object]]:
    """(column, value) for every concrete column of ``table`` that ``given`` leaves out."""
    from django.apps import apps
    from django.db import connection

    model = next(m for m in apps.get_models() if m._meta.db_table == table)
    filled = []
    for field in model._meta.concrete_fields:
        if field.column in given or field.primary_key:
            continue
        # Django itself saves "" for a text column without a default; so does the benchmark.
        if field.has_default() or (field.empty_strings_allowed and not field.null):
            if field.unique:
                sys.exit(f"{table}.{field.column} is unique: the benchmark must generate it.")
            value = field.get_db_prep_save(field.get_default(), connection)
        elif field.null:
            value = None
        else:
            sys.exit(
                f"{table}.{field.column} is NOT NULL without a default: "
                "teach the benchmark's generator what to put there."
            )
        filled.append((field.column, value))
    return filled


def complete(sql: str, params: dict) -> tuple[str, dict]:
    """Fill the ``/*columns:<label>*/`` and ``/*values:<label>*/`` markers of ``sql``.

    The ``columns`` marker closes the column list of one ``INSERT INTO <table> (...)``, the
    ``values`` marker with the same label follows the last expression of its SELECT; the
    statement's own columns are read from the parentheses before the ``columns`` marker.
    """
    params = dict(params)
    extra: dict[str, list[tuple[str, object]]] = {}
    for match in re.finditer(r"INSERT INTO (\w+) \(([^)]*)/\*columns:(\w+)\*/\s*\)", sql):
        table, listed, label = match.groups()
        given = [name.strip() for name in listed.split(",") if name.strip()]
        extra[label] = missing_columns(table, given)

    def replace(marker: re.Match) -> str:
        kind, label = marker.group(1), marker.group(2)
        if label not in extra:
            sys.exit(f"benchmark SQL: no INSERT INTO <table> (... /*columns:{label}*/)")
        if kind == "columns":
            return "".join(f", {column}" for column, _value in extra[label])
        names = []
        for column, value in extra[label]:
            name = f"fill__{label}__{column}"
            params[name] = value
            names.append(f", %({name})s")
        return "".join(names)

    return _MARKER.sub(replace, sql), params


def signed_in_client(user, *, raise_request_exception: bool = False):
    """A test client signed in as ``user`` with a session that passed the second factor.

    Central administrators may open nothing without one, and the extra query that checks the
    session's device on every request is part of what a real page costs.
    """
    from django.test import Client
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.models import AuthenticatorApp
    from accounts.second_factor.policy import VERIFIED_AT_SESSION_KEY

    device = AuthenticatorApp.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = AuthenticatorApp.objects.create(user=user, name="benchmark", confirmed=True)
    client = Client(raise_request_exception=raise_request_exception)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[VERIFIED_AT_SESSION_KEY] = timezone.now().isoformat()
    session.save()
    return client


def ensure_database(url: str) -> None:
    """Create the benchmark's database if missing; refuse any database not named for benches."""
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"Refusing to use database {name!r}: its name must contain 'bench'.")
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
