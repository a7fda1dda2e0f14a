"""Rerankers served by Jina AI, Cohere and Voyage AI, over their HTTP APIs.

The clients speak each provider's documented request and response format with ``requests`` (no
provider SDK needed) and take ``base_url``, so a proxy or a compatible server can stand in. API keys
come from the argument or the environment and never appear in ``repr``, logs or error messages.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import requests

from milvus_model_adapters.errors import InvalidInputError, RerankError
from milvus_model_adapters.rerank.base import Reranker


class SecretStr:
    """A string that does not show itself in ``repr`` or ``str``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        """Return the secret."""
        return self._value

    def __repr__(self) -> str:
        return "SecretStr('**********')"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("secrets are not serialisable")


class APIReranker(Reranker):
    """Common HTTP logic; each provider sets its URL, key variables and JSON shapes."""

    provider: ClassVar[str]
    default_base_url: ClassVar[str]
    path: ClassVar[str]
    env_vars: ClassVar[tuple[str, ...]]
    default_model: ClassVar[str]
    top_key: ClassVar[str] = "top_n"
    results_key: ClassVar[str] = "results"

    def __init__(
        self,
        model: str | None = None,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 30.0,
        session: requests.Session | None = None,
    ) -> None:
        """Configure the client.

        Args:
            model: Model name; the provider's current reranker by default.
            api_key: The key; else read from the provider's environment variable(s).
            base_url: API root; the provider's public endpoint by default.
            timeout: Seconds to wait for a response.
            session: A ``requests.Session`` to reuse.

        Raises:
            InvalidInputError: If no key is given or found in the environment.
        """
        key = api_key or next((os.environ[v] for v in self.env_vars if os.environ.get(v)), None)
        if not key:
            names = " or ".join(self.env_vars)
            raise InvalidInputError(f"no {self.provider} API key: pass api_key= or set {names}")
        self._api_key = SecretStr(key)
        self.model = model or self.default_model
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.timeout = timeout
        self._session = session or requests.Session()

    @property
    def url(self) -> str:
        """The endpoint requests go to."""
        return self.base_url + self.path

    def _payload(self, query: str, documents: list[str], top_k: int) -> dict[str, Any]:
        return {"model": self.model, "query": query, "documents": documents, self.top_key: top_k}

    def _rerank(self, query: str, documents: list[str], top_k: int) -> list[tuple[int, float]]:
        headers = {
            "Authorization": f"Bearer {self._api_key.get_secret_value()}",
            "Content-Type": "application/json",
        }
        try:
            response = self._session.post(
                self.url, json=self._payload(query, documents, top_k), headers=headers, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise RerankError(f"{self.provider} rerank request failed: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise RerankError(f"{self.provider} rerank failed with HTTP {response.status_code}: {_detail(response)}")
        try:
            body = response.json()
            results = body[self.results_key]
            return [(int(r["index"]), float(r["relevance_score"])) for r in results]
        except (ValueError, KeyError, TypeError) as exc:
            raise RerankError(f"{self.provider} rerank returned an unexpected response ({exc!r})") from None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r}, base_url={self.base_url!r}, api_key=**********)"


def _detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, Mapping):
        for key in ("detail", "message", "error"):
            if key in body:
                return str(body[key])[:200]
    return str(body)[:200]


class JinaReranker(APIReranker):
    """Jina AI's rerank API (``POST /v1/rerank``), as pymilvus-model's ``JinaRerankFunction`` calls it."""

    provider = "Jina AI"
    default_base_url = "https://api.jina.ai"
    path = "/v1/rerank"
    env_vars = ("JINAAI_API_KEY", "JINA_API_KEY")
    default_model = "jina-reranker-v2-base-multilingual"


class CohereReranker(APIReranker):
    """Cohere's rerank API v2 (``POST /v2/rerank``)."""

    provider = "Cohere"
    default_base_url = "https://api.cohere.com"
    path = "/v2/rerank"
    env_vars = ("COHERE_API_KEY", "CO_API_KEY")
    default_model = "rerank-english-v3.0"


class VoyageReranker(APIReranker):
    """Voyage AI's rerank API (``POST /v1/rerank``; ``top_k`` in, ``data`` out)."""

    provider = "Voyage AI"
    default_base_url = "https://api.voyageai.com"
    path = "/v1/rerank"
    env_vars = ("VOYAGE_API_KEY",)
    default_model = "rerank-2"
    top_key = "top_k"
    results_key = "data"


PROVIDERS: dict[str, type[APIReranker]] = {
    "jina": JinaReranker,
    "cohere": CohereReranker,
    "voyage": VoyageReranker,
}


def api_reranker(provider: str, **kwargs: Any) -> APIReranker:
    """Build the API reranker of ``provider`` (``jina``, ``cohere`` or ``voyage``)."""
    try:
        cls = PROVIDERS[provider.lower()]
    except KeyError:
        raise InvalidInputError(f"unknown rerank provider {provider!r}; known: {', '.join(PROVIDERS)}") from None
    return cls(**kwargs)


__all__: Sequence[str] = [
    "APIReranker",
    "CohereReranker",
    "JinaReranker",
    "SecretStr",
    "VoyageReranker",
    "api_reranker",
]
