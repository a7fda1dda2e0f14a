"""The search contract: one validated value that every search path takes.

``SearchParams`` holds every search option, checked once. ``HybridStore.search``, ``search_many``,
both frameworks' retrievers and the vector stores take or hold one, and build it from keyword options
with ``SearchParams.create`` or ``SearchParams.replace``, so an option unknown anywhere is refused
everywhere with the same ``InvalidInputError``.

Everything that does not depend on the engine is checked on construction, the filter included (it is
parsed once, then). Whether an engine generation can express a valid filter (Milvus Lite 2.5 has no
negation of ranges, containment or ``$exists``) is known only when a search meets the engine: those
refusals come from ``SearchParams.where``, at search time.

Adding an option means a field here and a key in ``SearchOptions``.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict, Unpack

from milvus_model_adapters._validate import check_positive_int
from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError
from milvus_model_adapters.rerank.base import Reranker, RerankFunction, as_reranker
from milvus_model_adapters.store.engine import Engine
from milvus_model_adapters.store.fields import MetadataFields
from milvus_model_adapters.store.filters import Filter, Node, combine, emit, metadata_expression, parse
from milvus_model_adapters.store.search.fusion import RRF, Ranker, Weighted, make_ranker
from milvus_model_adapters.store.search.highlight import Highlight, as_highlight
from milvus_model_adapters.store.search.knobs import Knobs
from milvus_model_adapters.store.search.ranking import Boost, Decay, as_boosts, floor
from milvus_model_adapters.store.tenants import check_tenant
from milvus_model_adapters.store.types import SEARCH_MODES, SearchMode

Fusion = Literal["client", "server"]
FUSIONS: tuple[Fusion, ...] = ("client", "server")

MAX_TOP_K = 16384
"""Most hits Milvus returns for one query (its ``topk`` limit)."""

DEFAULT_RANKER: Ranker = Weighted((0.5, 0.5))
"""The default fusion: min-max normalised scores, dense and BM25 weighted equally. On Cranfield and CISI it
scores 0.008 nDCG@10 above Milvus's RRF(60) on average and 0.002 below the best fusion measured
(``benchmarks/fusion_choice.py``; README, "Quality")."""


class SearchOptions(TypedDict, total=False):
    """The keyword options of a search; each is a field of ``SearchParams``, plus two shorthands.

    ``rrf_k`` and ``weights`` are shorthands for ``ranker=RRF(rrf_k)`` and ``ranker=Weighted(weights)``;
    ``ef``, ``nprobe``, ``radius``, ``range_filter``, ``drop_ratio_search`` and ``consistency_level`` set
    one field of ``knobs``.
    """

    k: int
    offset: int
    mode: SearchMode
    fetch_k: int | None
    ranker: str | Ranker
    rrf_k: int
    weights: Sequence[float]
    filter: Filter | None
    expr: str | None
    reranker: Reranker | RerankFunction | None
    rerank_k: int | None
    fusion: Fusion
    group_by: str | None
    group_size: int
    tenant: str | None
    knobs: Knobs
    ef: int | None
    nprobe: int | None
    radius: float | None
    range_filter: float | None
    drop_ratio_search: float | None
    consistency_level: str | None
    min_dense_score: float | None
    min_sparse_score: float | None
    min_relevance: float | None
    boost: Boost | Sequence[Boost] | None
    decay: Decay | None
    highlight: bool | Highlight | None


KNOB_NAMES = ("ef", "nprobe", "radius", "range_filter", "drop_ratio_search", "consistency_level")
OPTION_NAMES: frozenset[str] = frozenset(SearchOptions.__annotations__)
"""Every option ``SearchParams.create`` accepts."""


@dataclass(frozen=True)
class SearchParams:
    """Every setting of a search, validated on construction.

    Attributes:
        k: Hits to return (1 to 16,384).
        offset: Hits to skip first, for pages: ``offset=20, k=10`` returns the hits a search with
            ``k=30`` returns after its first 20, in every mode and fusion (``k + offset`` at most 16,384).
        mode: ``"dense"``, ``"sparse"`` (BM25) or ``"hybrid"``.
        fetch_k: Candidates per route before fusion; ``None`` for ``max(2k, 20)``.
        ranker: The fusion of hybrid search, an ``RRF`` or ``Weighted`` (``"rrf"`` and
            ``"weighted"`` are accepted and converted).
        filter: Metadata filter (see ``milvus_model_adapters.store.filters.parse``), kept as a copy.
        expr: Raw Milvus boolean expression, joined to ``filter`` with ``and``; a bare name that is no
            field of the store is a metadata key (``"year > 2000"`` is ``metadata["year"] > 2000``, see
            ``milvus_model_adapters.store.filters.raw``).
        reranker: Reranks the best candidates (any core reranker or pymilvus-model rerank function).
        rerank_k: How many of the best candidates the reranker reorders (default: the fetch size);
            candidates below them keep their order after the reranked ones.
        fusion: ``"client"`` (the two routes fused here, per-route scores and ranks kept) or
            ``"server"`` (Milvus's ``hybrid_search``; RRF or arctan-weighted only).
        knobs: The engine's knobs (``Knobs``): HNSW's ``ef`` and IVF's ``nprobe`` for the dense route,
            range search on dense scores (``radius``, ``range_filter``), the sparse route's
            ``drop_ratio_search``, a server's ``consistency_level``; options of those names set them one at
            a time.
        group_by: A metadata key (``"source"``, LlamaIndex's ``"ref_doc_id"``): ``k`` is then a number
            of groups, each the best ``group_size`` hits of one value of the key, best group first
            (``milvus_model_adapters.store.search.grouping``); ``offset`` counts groups too.
        group_size: Hits kept per group (with ``group_by`` only); a group holds fewer when the search
            found fewer.
        tenant: The tenant whose documents a store with tenants searches (see
            ``milvus_model_adapters.store.tenants``); a view of a tenant takes it from the view.
        min_dense_score: The dense route's floor, in its own score (a cosine), before fusion.
        min_sparse_score: The sparse route's floor, in its own score (BM25's), before fusion.
        min_relevance: The floor on the relevance in [0, 1] of the fused (or single-route) score.
        boost: ``Boost(filter, weight)`` or several: the score of a hit matching the filter is multiplied by
            the weight.
        decay: ``Decay(field, function, origin, scale, offset, decay)``: the score is multiplied by a factor
            of a numeric metadata value's distance from ``origin``.
        highlight: ``True`` or a ``Highlight``: each hit carries the query terms it matched
            (``Hit.highlights``; ``milvus_model_adapters.store.search.highlight``).

    The ranking controls (the floors, ``boost``, ``decay``) act in the order that
    ``milvus_model_adapters.store.search.ranking`` documents.
    """

    k: int = 10
    offset: int = 0
    mode: SearchMode = "hybrid"
    fetch_k: int | None = None
    ranker: Ranker = DEFAULT_RANKER
    filter: Filter | None = None
    expr: str | None = None
    reranker: Reranker | None = None
    rerank_k: int | None = None
    fusion: Fusion = "client"
    group_by: str | None = None
    group_size: int = 1
    tenant: str | None = None
    knobs: Knobs = Knobs()
    min_dense_score: float | None = None
    min_sparse_score: float | None = None
    min_relevance: float | None = None
    boost: tuple[Boost, ...] = ()
    decay: Decay | None = None
    highlight: Highlight | None = None
    _filter_node: Node | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _top_k(self.k, "k")
        if isinstance(self.offset, bool) or not isinstance(self.offset, int) or self.offset < 0:
            raise InvalidInputError(f"offset must be a non-negative integer, got {self.offset!r}")
        if self.k + self.offset > MAX_TOP_K:
            raise InvalidInputError(f"k + offset must be at most {MAX_TOP_K} (Milvus's limit per query)")
        if self.mode not in SEARCH_MODES:
            raise InvalidInputError(f"unknown mode {self.mode!r}; use one of {', '.join(SEARCH_MODES)}")
        if self.fusion not in FUSIONS:
            raise InvalidInputError(f"unknown fusion {self.fusion!r}; use one of {', '.join(FUSIONS)}")
        for name in ("fetch_k", "rerank_k"):
            if getattr(self, name) is not None:
                _top_k(getattr(self, name), name)
        ranker = make_ranker(self.ranker) if isinstance(self.ranker, str) else self.ranker
        if not isinstance(ranker, Ranker):
            raise InvalidTypeError(f"ranker must be 'rrf', 'weighted', RRF(...) or Weighted(...), got {ranker!r}")
        object.__setattr__(self, "ranker", ranker)
        if self.mode == "hybrid":
            ranker.check(routes=2, fusion=self.fusion)
        if self.filter is not None:
            if not isinstance(self.filter, Mapping):
                raise InvalidTypeError(f"filter must be a dict, got {type(self.filter).__name__}")
            # Parsed once, here: a malformed filter is refused now. What one engine generation cannot
            # express (a negation on Milvus Lite 2.5) is refused by where() at search time.
            object.__setattr__(self, "_filter_node", parse(self.filter))
            object.__setattr__(self, "filter", copy.deepcopy(dict(self.filter)))
        if self.expr is not None:
            if not isinstance(self.expr, str):
                raise InvalidTypeError(f"expr must be a string, got {type(self.expr).__name__}")
            metadata_expression(self.expr)  # an unclosed string or parenthesis is refused now
        if self.reranker is not None:
            object.__setattr__(self, "reranker", as_reranker(self.reranker))
        _check_grouping(self.group_by, self.group_size, self.k + self.offset)
        if self.tenant is not None:
            check_tenant(self.tenant)
        if not isinstance(self.knobs, Knobs):
            raise InvalidTypeError(f"knobs must be a Knobs, got {type(self.knobs).__name__}")
        self._check_controls()

    def _check_controls(self) -> None:
        for name in ("min_dense_score", "min_sparse_score", "min_relevance"):
            object.__setattr__(self, name, floor(getattr(self, name), name, unit=name == "min_relevance"))
        object.__setattr__(self, "boost", as_boosts(self.boost))
        object.__setattr__(self, "highlight", as_highlight(self.highlight))
        if self.decay is not None and not isinstance(self.decay, Decay):
            raise InvalidTypeError(f"decay must be a Decay, got {type(self.decay).__name__}")
        for name, route in (("min_dense_score", "dense"), ("min_sparse_score", "sparse")):
            if getattr(self, name) is None:
                continue
            if self.mode not in ("hybrid", route):
                raise InvalidInputError(f"{name} is the {route} route's floor; this search is {self.mode}")
            if self.mode == "hybrid" and self.fusion == "server":
                raise InvalidInputError(
                    f"{name} needs the routes' own scores, which fusion='server' does not return: use fusion='client'"
                )

    @property
    def rescores(self) -> bool:
        """Whether boosts or decay change the scores (they reorder the ``fetch`` best candidates)."""
        return bool(self.boost) or self.decay is not None

    @classmethod
    def create(cls, base: SearchParams | None = None, /, **options: Unpack[SearchOptions]) -> SearchParams:
        """Build parameters from keyword options, starting from ``base`` (the defaults if ``None``).

        Raises:
            InvalidInputError: On an unknown option, a value out of range, or ``rrf_k`` / ``weights``
                that contradict ``ranker``.
        """
        unknown = set(options) - OPTION_NAMES
        if unknown:
            raise InvalidInputError(
                f"unknown search option(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(OPTION_NAMES))}"
            )
        start = base if base is not None else cls()
        shorthands = ("rrf_k", "weights", *KNOB_NAMES)
        fields: dict[str, Any] = {k: v for k, v in options.items() if k not in shorthands}
        if "rrf_k" in options or "weights" in options:
            fields["ranker"] = _ranker_from_shorthand(options, start.ranker)
        knobs = {name: options[name] for name in KNOB_NAMES if name in options}  # type: ignore[literal-required]
        if knobs:
            fields["knobs"] = dataclasses.replace(fields.get("knobs", start.knobs), **knobs)
        return dataclasses.replace(start, **fields)

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any] | None, base: SearchParams | None = None) -> SearchParams:
        """``create`` from a dictionary (such as LangChain's ``search_kwargs``)."""
        if options is not None and not isinstance(options, Mapping):
            raise InvalidTypeError(f"search options must be a dict, got {type(options).__name__}")
        return cls.create(base, **dict(options or {}))

    def replace(self, **options: Unpack[SearchOptions]) -> SearchParams:
        """A copy with ``options`` changed, validated as ``create`` does."""
        return SearchParams.create(self, **options) if options else self

    def where(self, engine: Engine, fields: MetadataFields | None = None) -> str:
        """The Milvus expression of ``filter`` and ``expr`` for an engine generation and a collection's columns.

        Args:
            engine: The engine.
            fields: The collection's typed metadata columns: keys among them are read from their column.

        Raises:
            FilterError: If the engine cannot express the filter (negations on Milvus Lite 2.5), or a value
                does not fit a typed column.
        """
        flt = emit(self._filter_node, engine, fields) if self._filter_node is not None else ""
        raw = metadata_expression(self.expr, fields or (), native_in=engine.native_in) if self.expr else None
        return combine(flt, raw)

    def whole_page(self) -> SearchParams:
        """The search whose hits, after the first ``offset``, are this page: ``k + offset`` hits."""
        return dataclasses.replace(self, k=self.k + self.offset, offset=0) if self.offset else self

    @property
    def fetch(self) -> int:
        """Candidates per route before fusion: ``fetch_k``, or ``max(2k, 20)``, never below ``k``."""
        fetch = self.fetch_k if self.fetch_k is not None else max(2 * self.k, 20)
        return min(max(fetch, self.k), MAX_TOP_K)


def _top_k(value: Any, name: str) -> int:
    check_positive_int(value, what=name)
    if value > MAX_TOP_K:
        raise InvalidInputError(f"{name} must be at most {MAX_TOP_K} (Milvus's limit per query), got {value}")
    return int(value)


def _check_grouping(key: str | None, size: int, groups: int) -> None:
    if key is None:
        if size != 1:
            raise InvalidInputError("group_size applies to grouped search: pass group_by='<metadata key>' too")
        return
    if not isinstance(key, str) or not key.strip():
        raise InvalidInputError(f"group_by must name a metadata key, got {key!r}")
    check_positive_int(size, what="group_size")
    if groups * size > MAX_TOP_K:
        raise InvalidInputError(f"(k + offset) * group_size must be at most {MAX_TOP_K} (Milvus's limit per query)")


def _ranker_from_shorthand(options: Mapping[str, Any], current: Ranker) -> Ranker:
    ranker = options.get("ranker")
    rrf_k, weights = options.get("rrf_k"), options.get("weights")
    if rrf_k is not None and weights is not None:
        raise InvalidInputError("rrf_k is for ranker='rrf' and weights for ranker='weighted': pass one of them")
    if ranker is not None and not isinstance(ranker, str):
        raise InvalidInputError("pass either a ranker object or rrf_k / weights, not both")
    if rrf_k is not None:
        if ranker not in (None, "rrf"):
            raise InvalidInputError(f"rrf_k applies to ranker='rrf', not {ranker!r}")
        return RRF(rrf_k)
    if weights is None:
        return make_ranker(ranker) if ranker is not None else current
    if ranker not in (None, "weighted"):
        raise InvalidInputError(f"weights apply to ranker='weighted', not {ranker!r}")
    if isinstance(weights, str) or not isinstance(weights, Sequence):
        raise InvalidTypeError(f"weights must be a sequence of numbers, got {type(weights).__name__}")
    return Weighted(tuple(weights), normalization=getattr(current, "normalization", "minmax"))
