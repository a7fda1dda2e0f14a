"""Exception types raised by the package.

Every error the package raises on bad input derives from ``MilvusModelAdaptersError``, and most
also derive from the built-in type a caller would expect (``ValueError``, ``TypeError``,
``ImportError``), so either can be caught.
"""

from __future__ import annotations


class MilvusModelAdaptersError(Exception):
    """Base class of every error raised by the package."""


class MissingDependencyError(MilvusModelAdaptersError, ImportError):
    """An optional library is not installed; the message names the extra that installs it."""


class InvalidInputError(MilvusModelAdaptersError, ValueError):
    """An argument has the right type but an unusable value (empty, out of range, unknown name)."""


class TenantRequiredError(InvalidInputError):
    """A store that keeps tenants was read or written without one (use ``store.for_tenant(...)``)."""


class InvalidTypeError(MilvusModelAdaptersError, TypeError):
    """An argument has the wrong type."""


class NotFittedError(MilvusModelAdaptersError, RuntimeError):
    """A BM25 encoder was used before ``fit`` or ``load``."""


class ParamsFileError(MilvusModelAdaptersError, ValueError):
    """A BM25 parameters file is missing, unreadable or malformed."""


class DimensionMismatchError(MilvusModelAdaptersError, ValueError):
    """Vectors do not have the dimension the encoder or collection expects."""


class SchemaMismatchError(MilvusModelAdaptersError, ValueError):
    """An existing collection has a schema this store cannot use."""


class FilterError(MilvusModelAdaptersError, ValueError):
    """A metadata filter is malformed or uses an unsupported operator."""


class RerankError(MilvusModelAdaptersError, RuntimeError):
    """A reranker failed (for example the provider's API returned an error)."""


class StoreLockedError(MilvusModelAdaptersError, RuntimeError):
    """A Milvus Lite database is held by another process."""


class StoreStateError(MilvusModelAdaptersError, RuntimeError):
    """State the store keeps in the database (BM25 statistics) is missing, unknown or inconsistent."""


class MilvusOperationError(MilvusModelAdaptersError, RuntimeError):
    """Milvus refused or failed an operation; the message says which, and Milvus's reason."""


class LiteGenerationError(MilvusOperationError):
    """A Milvus Lite path holds the other generation's database (2.5: one SQLite file, 3.x: a folder) or none."""
