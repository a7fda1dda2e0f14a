"""Tenants: many users' documents in one collection, each user's reads and writes confined to their own.

A store opened with ``tenant_field="tenant"`` keeps a tenant on every row, in a string field of its own:
a Milvus partition key on Milvus Lite 3 and servers (a tenant's searches read its partitions only), a string
field with an ``INVERTED`` index on Milvus Lite 2.5, which creates partition-key collections but then refuses
every filter on the key (measured: ``Invalid expr``). Every read and write then needs a tenant, given by
``HybridStore.for_tenant <milvus_model_adapters.store.HybridStore.for_tenant>`` or per search
(``tenant=``); the tenant's expression is joined to every filter, so no call without one reaches all rows.
"""

from __future__ import annotations

import re
from typing import Any

from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError, TenantRequiredError
from milvus_model_adapters.store import schema
from milvus_model_adapters.store.connection import milvus_errors
from milvus_model_adapters.store.engine import Engine
from milvus_model_adapters.store.filters.literals import literal

TENANT_MAX_BYTES = schema.TENANT_MAX_BYTES
"""Longest tenant value, in UTF-8 bytes (the field's ``max_length``)."""
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_RESERVED = schema.STORE_FIELDS


def check_tenant_field(name: Any) -> str:
    """``name`` if it can be the tenant field: a Milvus field name that is none of the store's own."""
    if not isinstance(name, str):
        raise InvalidTypeError(f"tenant_field must be a string, got {type(name).__name__}")
    if not _FIELD.fullmatch(name) or name in _RESERVED:
        raise InvalidInputError(
            f"tenant_field {name!r} cannot name a field: use letters, digits and '_' (at most 64), "
            f"and none of {', '.join(sorted(_RESERVED))}"
        )
    return name


def check_tenant(value: Any) -> str:
    """``value`` if it is a tenant: a non-empty string of printable characters, at most 255 bytes.

    Quotes and backslashes are allowed: a tenant reaches Milvus as an escaped string literal, never as
    expression text.
    """
    if not isinstance(value, str):
        raise InvalidTypeError(f"a tenant must be a string, got {type(value).__name__}")
    if not value or not value.isprintable() or len(value.encode("utf-8")) > TENANT_MAX_BYTES:
        raise InvalidInputError(
            f"invalid tenant {value!r}: it must be a non-empty string of printable characters, "
            f"at most {TENANT_MAX_BYTES} bytes"
        )
    return value


def uses_partition_key(engine: Engine) -> bool:
    """Whether a new tenant field is a partition key on ``engine`` (where it can be filtered on)."""
    return engine.partition_key_filters


def scope(field: str | None, tenant: str | None, *, asked: str | None = None) -> str:
    """The expression that confines a call to one tenant; ``""`` for a store without tenants.

    Args:
        field: The store's tenant field, or ``None``.
        tenant: The tenant of the store's view, if it is one.
        asked: A tenant named by the call itself (a search's ``tenant=``).

    Raises:
        TenantRequiredError: If the store keeps tenants and the call names none.
        InvalidInputError: If a tenant is named on a store without tenants, or the call names another tenant
            than its view.
    """
    if field is None:
        if tenant is not None or asked is not None:
            raise InvalidInputError("this store keeps no tenants: open it with tenant_field=... to use them")
        return ""
    if asked is not None and tenant is not None and asked != tenant:
        raise InvalidInputError(f"this view is tenant {tenant!r}'s; a call cannot name another tenant")
    chosen = asked if asked is not None else tenant
    if chosen is None:
        raise TenantRequiredError(
            f"this store keeps tenants (field {field!r}): read and write through store.for_tenant(<tenant>), "
            "or pass tenant=... to the search"
        )
    return f"{field} == {literal(check_tenant(chosen))}"


def refuse_other_tenants_ids(client: Any, collection: str, field: str, tenant: str, ids: list[str]) -> None:
    """Refuse ids that another tenant's documents hold: writing them would replace those documents.

    Raises:
        InvalidInputError: Naming up to five such ids (nothing is written).
    """
    for start in range(0, len(ids), 1000):
        with milvus_errors("check the ids of the documents"):
            rows = client.get(collection, ids=ids[start : start + 1000], output_fields=[field])
        taken = sorted(r[schema.ID] for r in rows if r[field] != tenant)
        if taken:
            raise InvalidInputError(
                f"ids {', '.join(map(repr, taken[:5]))} are another tenant's in this collection; "
                "give these documents other ids (nothing was written)"
            )
