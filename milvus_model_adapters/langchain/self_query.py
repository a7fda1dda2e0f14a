"""LangChain's self-querying retriever over ``MilvusHybridVectorStore``: LLM-written filters as core filters.

``SelfQueryRetriever`` asks an LLM to turn a question into a query and a ``StructuredQuery`` filter,
then hands the filter to the vector store through a translator. ``MilvusHybridTranslator`` turns
it into the core's filter dictionary, so values are checked and escaped by the core as every filter
is, and the filter means the same on every engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.structured_query import Comparator, Comparison, Operation, Operator, StructuredQuery, Visitor

from milvus_model_adapters._deps import require
from milvus_model_adapters.errors import FilterError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseLanguageModel
    from langchain_core.vectorstores import VectorStore

_COMPARATORS = {
    Comparator.EQ: "$eq",
    Comparator.NE: "$ne",
    Comparator.GT: "$gt",
    Comparator.GTE: "$gte",
    Comparator.LT: "$lt",
    Comparator.LTE: "$lte",
    Comparator.IN: "$in",
    Comparator.NIN: "$nin",
    Comparator.CONTAIN: "$contains",
    Comparator.LIKE: "$like",
}


class MilvusHybridTranslator(Visitor):
    """Translates LangChain's ``StructuredQuery`` into a search of ``MilvusHybridVectorStore``.

    Every comparator LangChain has (``eq``, ``ne``, ``gt``, ``gte``, ``lt``, ``lte``, ``in``, ``nin``,
    ``contain``, ``like``) and every operator (``and``, ``or``, ``not``) becomes the core filter
    language; what one engine cannot evaluate (a negation on Milvus Lite 2.5) is a
    ``FilterError`` saying so when the search runs.

    Examples:
        >>> from langchain_core.structured_query import Comparator, Comparison
        >>> later = Comparison(comparator=Comparator.GT, attribute="year", value=1990)
        >>> MilvusHybridTranslator().visit_comparison(later)
        {'year': {'$gt': 1990}}
    """

    allowed_comparators: Sequence[Comparator] = tuple(_COMPARATORS)
    allowed_operators: Sequence[Operator] = (Operator.AND, Operator.OR, Operator.NOT)

    def visit_operation(self, operation: Operation) -> dict[str, Any]:
        """``and`` / ``or`` of the arguments, or ``not`` of them all.

        Raises:
            FilterError: On an operator this translator does not know.
        """
        arguments = [argument.accept(self) for argument in operation.arguments]
        if operation.operator == Operator.NOT:
            return {"$not": arguments[0] if len(arguments) == 1 else {"$and": arguments}}
        if operation.operator in (Operator.AND, Operator.OR):
            return {f"${operation.operator.value}": arguments}
        raise FilterError(f"the filter language has no operator {operation.operator!r}")

    def visit_comparison(self, comparison: Comparison) -> dict[str, Any]:
        """``{attribute: {operator: value}}``.

        Raises:
            FilterError: On a comparator this translator does not know.
        """
        operator = _COMPARATORS.get(comparison.comparator)
        if operator is None:
            raise FilterError(f"the filter language has no comparator {comparison.comparator!r}")
        return {comparison.attribute: {operator: comparison.value}}

    def visit_structured_query(self, structured_query: StructuredQuery) -> tuple[str, dict[str, Any]]:
        """The query text, and the search options (``filter``) it carries."""
        if structured_query.filter is None:
            return structured_query.query, {}
        return structured_query.query, {"filter": structured_query.filter.accept(self)}


def self_query_retriever(
    vector_store: VectorStore,
    llm: BaseLanguageModel[Any],
    document_contents: str,
    metadata_field_info: Sequence[Any],
    **kwargs: Any,
) -> Any:
    """A ``SelfQueryRetriever`` over ``vector_store`` with ``MilvusHybridTranslator``.

    Args:
        vector_store: A ``MilvusHybridVectorStore``.
        llm: The model that writes the structured query.
        document_contents: What the documents' texts hold, for the LLM.
        metadata_field_info: LangChain ``AttributeInfo`` (or dicts) describing the metadata keys.
        **kwargs: ``SelfQueryRetriever.from_llm`` options (``search_kwargs``, ``enable_limit``, ...).

    Raises:
        MissingDependencyError: If ``langchain-classic`` (where LangChain keeps ``SelfQueryRetriever``)
            is not installed.
    """
    require("langchain_classic", package="langchain-classic", purpose="SelfQueryRetriever")
    require("lark", package="lark", purpose="SelfQueryRetriever's query parser")
    from langchain_classic.retrievers.self_query.base import SelfQueryRetriever

    kwargs.setdefault("structured_query_translator", MilvusHybridTranslator())
    return SelfQueryRetriever.from_llm(llm, vector_store, document_contents, list(metadata_field_info), **kwargs)
