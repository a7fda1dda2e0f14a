"""Export and import: between databases of one engine, to a server, and across Milvus Lite generations.

The cross-generation tests need the other generation's Python: ``MMA_OTHER_PYTHON`` names the
interpreter of an environment with the other Milvus Lite (``.ci/run`` sets it for both stacks).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from milvus_model_adapters import DimensionMismatchError, InvalidInputError, InvalidTypeError, LiteGenerationError
from milvus_model_adapters.store import HybridStore
from milvus_model_adapters.store.lite_files import lite_generation
from milvus_model_adapters.tools.cli import main as cli
from milvus_model_adapters.tools.transfer import export_database, import_collection, read_export
from tests.support import transfer_peer as peer
from tests.support.fixed_dense import HashDense

PEER = str(Path(__file__).resolve().parents[2] / "support" / "transfer_peer.py")
OTHER_PYTHON = os.environ.get("MMA_OTHER_PYTHON")
needs_other = pytest.mark.skipif(
    not OTHER_PYTHON, reason="set MMA_OTHER_PYTHON to a Python with the other Milvus Lite generation"
)


def run_peer(python: str, *args: str) -> str:
    proc = subprocess.run([python, PEER, *args], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def rows(path: Path) -> dict[str, dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return {row["id"]: row for row in map(json.loads, lines)}


def assert_same_results(a: dict[str, list[Any]], b: dict[str, list[Any]]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert [i for i, _ in a[key]] == [i for i, _ in b[key]], key
        assert [s for _, s in a[key]] == pytest.approx([s for _, s in b[key]], rel=1e-5, abs=1e-6), key


def tree_digest(path: Path) -> str:
    """A digest of a file, or of every file name and content under a folder."""
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        digest.update(str(file.relative_to(path.parent)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def test_a_collection_moves_with_nothing_lost(tmp_path: Path) -> None:
    source, target, dump = tmp_path / "source.db", tmp_path / "target.db", tmp_path / "dump.jsonl"
    peer.build(str(source))
    with open(dump, "w", encoding="utf-8") as out:
        assert export_database(str(source), out) == 40
    assert import_collection(dump, str(target), dense=HashDense()) == 40
    again = tmp_path / "again.jsonl"
    with open(again, "w", encoding="utf-8") as out:
        export_database(str(target), out)
    assert rows(again) == rows(dump)  # ids, texts, metadata and vectors, exactly
    texts, metas, ids = peer.corpus()
    assert {i: (r["text"], r["metadata"]) for i, r in rows(dump).items()} == dict(
        zip(ids, zip(texts, metas, strict=True), strict=True)
    )
    assert_same_results(peer.search(str(source)), peer.search(str(target)))


@pytest.mark.network
def test_a_lite_file_moves_to_a_server(tmp_path: Path, server_uri: str) -> None:
    source, dump = tmp_path / "source.db", tmp_path / "dump.jsonl"
    peer.build(str(source))
    with open(dump, "w", encoding="utf-8") as out:
        export_database(str(source), out)
    name = "moved_" + uuid.uuid4().hex[:8]
    assert import_collection(dump, server_uri, name, dense=HashDense()) == 40
    served = HybridStore(server_uri, name, dense=HashDense())
    try:
        for mode in ("dense", "sparse", "hybrid"):
            for query in peer.QUERIES:
                here = [(h.id, h.score) for h in served.search(query, 5, mode=mode)]
                assert_same_results({query: here}, {query: peer.search(str(source))[f"{mode}|{query}"]})
        back = tmp_path / "back.jsonl"
        with open(back, "w", encoding="utf-8") as out:
            export_database(server_uri, out, name)
        assert rows(back) == rows(dump)
    finally:
        served.drop()
        served.close()


def test_export_changes_nothing_and_needs_no_model(tmp_path: Path) -> None:
    source = tmp_path / "source.db"
    peer.build(str(source))
    before = tree_digest(source)
    with open(tmp_path / "dump.jsonl", "w", encoding="utf-8") as out:
        export_database(str(source), out)
    assert tree_digest(source) == before


BAD_LINES = [
    ('{"id": "x", "text": "t", "metadata": {}}', InvalidInputError, "line 2: a document is an object"),
    (
        '{"id": "x", "text": "t", "metadata": {}, "dense": [1, 2]}',
        DimensionMismatchError,
        "line 2: embeddings[0] has 2",
    ),
    ('{"id": 5, "text": "t", "metadata": {}, "dense": [0.5]}', InvalidTypeError, "line 2: ids must be strings"),
    ('{"id": "x", "text": "", "metadata": {}, "dense": [0.5]}', InvalidInputError, "line 2:"),
    (
        '{"id": "x", "text": "t", "metadata": [], "dense": [0.5]}',
        InvalidTypeError,
        "line 2: metadatas[0] must be a dict",
    ),
    ("{broken", InvalidInputError, "line 2: not JSON"),
]


@pytest.mark.parametrize(("line", "error", "message"), BAD_LINES)
def test_a_bad_export_is_one_error_and_writes_nothing(tmp_path: Path, line: str, error: type, message: str) -> None:
    header = {"format": "milvus-model-adapters/export", "version": 1, "collection": "documents", "dim": 1}
    header |= {"sparse": {"kind": "builtin", "analyzer_params": None}, "count": 1}
    dump = tmp_path / "bad.jsonl"
    dump.write_text(json.dumps(header) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(error, match=message.replace("[", r"\[").replace("]", r"\]")):
        import_collection(dump, str(tmp_path / "target.db"), dense=HashDense())
    assert not (tmp_path / "target.db").exists()


def test_repeated_ids_and_wrong_counts_are_refused(tmp_path: Path) -> None:
    source, dump = tmp_path / "source.db", tmp_path / "dump.jsonl"
    peer.build(str(source))
    with open(dump, "w", encoding="utf-8") as out:
        export_database(str(source), out)
    lines = dump.read_text(encoding="utf-8").splitlines()
    (tmp_path / "twice.jsonl").write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"line 42: id 'id-\d\d' appears more than once"):
        read_export(tmp_path / "twice.jsonl")
    (tmp_path / "short.jsonl").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="announces 40 documents, the file holds 39"):
        import_collection(tmp_path / "short.jsonl", str(tmp_path / "target.db"), dense=HashDense())
    with pytest.raises(DimensionMismatchError, match="the exported vectors have 8 dimensions"):
        import_collection(dump, str(tmp_path / "target.db"), dense=_Dense3())
    assert not (tmp_path / "target.db").exists()
    with pytest.raises(InvalidInputError, match="already holds 40 documents"):
        import_collection(dump, str(source), dense=HashDense())


class _Dense3:
    dim = 3

    def encode_documents(self, texts: list[str]) -> list[list[float]]:
        return [[1.0, 0.0, 0.0] for _ in texts]

    encode_queries = encode_documents


def test_cli_export_and_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.txt").write_text("Milvus Lite keeps vectors in a file.\n\nBM25 ranks by term frequency.")
    source, target = str(tmp_path / "cli.db"), str(tmp_path / "copy.db")
    assert (
        cli(
            [
                "index",
                str(tmp_path / "a.txt"),
                "--db",
                source,
                "--no-progress",
                "--chunk-words",
                "6",
                "--chunk-overlap",
                "0",
            ]
        )
        == 0
    )
    assert cli(["export", source, "-o", str(tmp_path / "dump.jsonl"), "--no-progress"]) == 0
    assert cli(["import", target, str(tmp_path / "dump.jsonl"), "--no-progress"]) == 0
    capsys.readouterr()
    results = []
    for db in (source, target):
        assert cli(["search", "term frequency", "--db", db, "--json"]) == 0
        results.append([(h["id"], h["score"]) for h in json.loads(capsys.readouterr().out)])
    assert [i for i, _ in results[0]] == [i for i, _ in results[1]]
    assert [s for _, s in results[0]] == pytest.approx([s for _, s in results[1]], abs=1e-6)


# ------------------------------------------------------------------ across Milvus Lite generations
@needs_other
def test_the_other_generations_file_is_one_clear_error_and_stays_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert OTHER_PYTHON is not None
    other = tmp_path / "other.db"
    run_peer(OTHER_PYTHON, "build", str(other))
    before = tree_digest(other)
    with pytest.raises(LiteGenerationError) as info:
        HybridStore(str(other), dense=HashDense())
    message = str(info.value)
    assert "Milvus Lite 2.5" in message and "Milvus Lite 3" in message and "mma export" in message
    assert ("is a Milvus Lite 3 database" in message) == (lite_generation() < 3)
    assert cli(["search", "wing", "--db", str(other)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert tree_digest(other) == before


@needs_other
def test_a_collection_moves_from_the_other_generation(tmp_path: Path) -> None:
    assert OTHER_PYTHON is not None
    other, here, dump = tmp_path / "other.db", tmp_path / "here.db", tmp_path / "dump.jsonl"
    run_peer(OTHER_PYTHON, "build", str(other))
    run_peer(OTHER_PYTHON, "export", str(other), str(dump))
    import_collection(dump, str(here), dense=HashDense())
    assert_same_results(json.loads(run_peer(OTHER_PYTHON, "search", str(other))), peer.search(str(here)))
    again = tmp_path / "again.jsonl"
    with open(again, "w", encoding="utf-8") as out:
        export_database(str(here), out)
    assert rows(again) == rows(dump)


@needs_other
def test_a_collection_moves_to_the_other_generation(tmp_path: Path) -> None:
    assert OTHER_PYTHON is not None
    here, other, dump = tmp_path / "here.db", tmp_path / "other.db", tmp_path / "dump.jsonl"
    peer.build(str(here))
    with open(dump, "w", encoding="utf-8") as out:
        export_database(str(here), out)
    run_peer(OTHER_PYTHON, "import", str(other), str(dump))
    assert_same_results(peer.search(str(here)), json.loads(run_peer(OTHER_PYTHON, "search", str(other))))
    run_peer(OTHER_PYTHON, "export", str(other), str(tmp_path / "again.jsonl"))
    assert rows(tmp_path / "again.jsonl") == rows(dump)


def test_this_generation_runs_the_peer_too(tmp_path: Path) -> None:
    """The peer script works with this interpreter (so a failure across generations is not the script's)."""
    run_peer(sys.executable, "build", str(tmp_path / "p.db"))
    assert (
        json.loads(run_peer(sys.executable, "search", str(tmp_path / "p.db"))).keys()
        == peer.search(str(tmp_path / "p.db")).keys()
    )


def test_a_collection_with_milvus_bm25_moves_too(tmp_path: Path) -> None:
    texts, metas, ids = peer.corpus()
    source, target, dump = tmp_path / "builtin.db", tmp_path / "copy.db", tmp_path / "dump.jsonl"
    with HybridStore(str(source), dense=HashDense(), sparse="builtin") as store:
        store.add(texts, metadatas=metas, ids=ids)
        before = {q: [(h.id, h.score) for h in store.search(q, 5, mode="sparse")] for q in peer.QUERIES}
    with open(dump, "w", encoding="utf-8") as out:
        export_database(str(source), out)
    assert json.loads(dump.read_text(encoding="utf-8").splitlines()[0])["sparse"]["kind"] == "builtin"
    import_collection(dump, str(target), dense=HashDense())
    with HybridStore(str(target), dense=HashDense(), sparse="builtin") as store:
        after = {q: [(h.id, h.score) for h in store.search(q, 5, mode="sparse")] for q in peer.QUERIES}
    assert_same_results(before, after)


def _typed_moves(source: Path, target: Path, dump: Path, *, build: Any, importer: Any, reader: Any) -> None:
    """A collection with typed columns exported, imported, and read back the same."""
    build(str(source))
    with open(dump, "w", encoding="utf-8") as out:
        export_database(str(source), out)
    header = json.loads(dump.read_text(encoding="utf-8").splitlines()[0])
    before, after = reader(source), None
    assert set(header["fields"]) == set(before["types"])
    importer(dump, target)
    after = reader(target)
    # Every filter finds the same documents; a column the target cannot keep stays in the JSON field there.
    assert after["found"] == before["found"]
    assert set(after["types"]) <= set(before["types"])
    texts, metas, ids = peer.corpus()
    assert {i: r["metadata"] for i, r in rows(dump).items()} == dict(zip(ids, metas, strict=True))


def test_typed_columns_move_with_the_collection(tmp_path: Path) -> None:
    _typed_moves(
        tmp_path / "typed.db",
        tmp_path / "copy.db",
        tmp_path / "dump.jsonl",
        build=peer.build_typed,
        importer=lambda dump, target: import_collection(dump, str(target), dense=HashDense()),
        reader=lambda db: peer.columns(str(db)),
    )
    assert peer.columns(str(tmp_path / "copy.db"))["types"] == peer.columns(str(tmp_path / "typed.db"))["types"]


@needs_other
def test_typed_columns_move_to_the_other_generation(tmp_path: Path) -> None:
    assert OTHER_PYTHON is not None
    here, other = tmp_path / "here.db", tmp_path / "other.db"
    peer.build_typed(str(here))
    before = peer.columns(str(here))
    _typed_moves(
        here,
        other,
        tmp_path / "dump.jsonl",
        build=lambda db: None,
        importer=lambda dump, target: run_peer(OTHER_PYTHON, "import", str(target), str(dump)),
        reader=lambda db: (
            peer.columns(str(db)) if db == here else json.loads(run_peer(OTHER_PYTHON, "columns", str(db)))
        ),
    )
    moved = json.loads(run_peer(OTHER_PYTHON, "columns", str(other)))["types"]
    assert {k: v for k, v in moved.items() if k != "tags"} == {k: v for k, v in before["types"].items() if k != "tags"}


@needs_other
def test_typed_columns_move_from_the_other_generation(tmp_path: Path) -> None:
    assert OTHER_PYTHON is not None
    other, here, dump = tmp_path / "other.db", tmp_path / "here.db", tmp_path / "dump.jsonl"
    run_peer(OTHER_PYTHON, "build-typed", str(other))
    run_peer(OTHER_PYTHON, "export", str(other), str(dump))
    import_collection(dump, str(here), dense=HashDense())
    assert peer.columns(str(here))["found"] == json.loads(run_peer(OTHER_PYTHON, "columns", str(other)))["found"]
