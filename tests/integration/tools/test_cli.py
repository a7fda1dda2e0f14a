"""The ``mma`` command line: demo, index, search, eval, errors, locks, languages, backends, the cache, version."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from milvus_model_adapters.store.lite_files import lite_generation
from milvus_model_adapters.tools.cli import main
from milvus_model_adapters.tools.cli import main as cli
from tests.support.datasets import write_beir


@pytest.fixture
def files(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "wing.md").write_text("# Wings\n\nThe aircraft wing produces lift when air flows over it.\n")
    (docs / "sub" / "engine.txt").write_text("Jet engines produce thrust by accelerating hot exhaust gas.")
    (docs / "notes.jsonl").write_text(
        json.dumps({"id": "n1", "text": "Milvus Lite keeps vectors in a local file.", "topic": "db"})
        + "\n"
        + json.dumps({"id": "n2", "text": "BM25 ranks by term frequency.", "metadata": {"topic": "ir"}})
        + "\n"
    )
    return docs


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_demo_runs_offline(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "demo")
    assert code == 0
    assert "Indexed 30 passages" in out and "kettle-error-e4" in out and "hybrid" in out


def test_index_search_and_idempotent_reindex(files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "cli.db")
    code, out, _ = run(capsys, "index", str(files), "--db", db, "--no-progress")
    assert code == 0 and "indexed 4 document(s)" in out
    code, out, _ = run(capsys, "index", str(files), "--db", db, "--no-progress")
    assert "indexed 0 document(s)" in out and "4 unchanged" in out and "4 chunk(s) in" in out
    (files / "wing.md").write_text("Wings stall when the angle of attack is too high.")
    code, out, _ = run(capsys, "index", str(files), "--db", db, "--no-progress")
    assert "indexed 1 document(s)" in out and "4 chunk(s) in" in out  # the old chunk was replaced

    code, out, _ = run(capsys, "search", "why do wings stall", "--db", db, "--json")
    hits = json.loads(out)
    assert hits[0]["text"].startswith("Wings stall") and "fused_score" in hits[0]
    code, out, _ = run(
        capsys, "search", "term frequency", "--db", db, "--mode", "sparse", "--filter", '{"topic": "ir"}'
    )
    assert code == 0 and "notes.jsonl#n2" in out and "engine" not in out
    code, out, _ = run(capsys, "search", "jet thrust", "--db", db, "--rerank", "-k", "2")
    assert code == 0 and "rerank_score" in out
    code, out, _ = run(capsys, "search", "why do wings stall", "jet thrust", "--db", db, "--json", "-k", "2")
    several = json.loads(out)
    assert [s["query"] for s in several] == ["why do wings stall", "jet thrust"]
    # The same hits as one query at a time (scores within float noise: a query's vector may have been
    # computed alone or in a batch, by this process or another sharing the embedding cache).
    assert [h["id"] for h in several[0]["hits"]] == [h["id"] for h in hits[:2]]
    for one, batched in zip(hits[:2], several[0]["hits"], strict=True):
        assert {k: v for k, v in batched.items() if "score" not in k} == {
            k: v for k, v in one.items() if "score" not in k
        }
        assert batched["dense_score"] == pytest.approx(one["dense_score"], abs=1e-5)
    code, out, _ = run(capsys, "search", "why do wings stall", "jet thrust", "--db", db)
    assert code == 0 and "Q: jet thrust" in out


def test_eval_prints_table_and_writes_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    beir = write_beir(tmp_path / "tiny")
    plot = tmp_path / "eval.png"
    code, out, _ = run(capsys, "eval", str(beir), "--plot", str(plot), "--no-progress", "--rerank")
    assert code == 0 and "| hybrid+rerank |" in out and "ndcg@10" in out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, out, _ = run(capsys, "eval", str(beir), "--json", "--no-progress")
    assert set(json.loads(out)["results"]) == {"dense", "bm25", "hybrid-rrf", "hybrid-weighted"}


@pytest.mark.parametrize(
    ("setup", "argv", "message"),
    [
        (None, ["index", "{tmp}/missing"], "no such file or folder"),
        ("empty_dir", ["index", "{tmp}/empty"], "no files to index in folder"),
        ("latin1", ["index", "{tmp}/latin1.txt"], "not UTF-8"),
        ("bad_jsonl", ["index", "{tmp}/bad.jsonl"], "not JSON"),
        ("no_text_jsonl", ["index", "{tmp}/notext.jsonl"], 'needs a "text" string'),
        (None, ["index", "{tmp}/x.pdf"], "no such file"),
        ("pdf", ["index", "{tmp}/x.pdf"], "cannot read PDF"),
        ("png", ["index", "{tmp}/x.png"], "unsupported file type '.png'"),
        (None, ["search", "q", "--db", "{tmp}/none.db"], "run 'milvus-model-adapters index PATH' first"),
        ("db", ["search", "q", "--db", "{tmp}/cli.db", "--filter", "{bad"], "--filter must be JSON"),
        ("db", ["search", "q", "--db", "{tmp}/cli.db", "--filter", '{"$bad": 1}'], "unknown filter operator"),
        (None, ["eval", "{tmp}"], "not a BEIR folder"),
        ("damaged", ["search", "q", "--db", "{tmp}/damaged.db"], "damaged or not a Milvus Lite database"),
        ("db", ["search", "q", "--db", "{tmp}/cli.db", "-k", "20000"], "k must be at most 16384"),
        ("a.txt", ["index", "{tmp}/a.txt", "--db", "{tmp}/my notes.db"], "at most 36 characters"),
        ("a.txt", ["index", "{tmp}/a.txt", "--db", "http://127.0.0.1:9"], "cannot reach Milvus at http://127.0.0.1:9"),
        (None, ["export", "{tmp}/none.db"], "no database at"),
        ("db", ["export", "{tmp}/cli.db", "--collection", "other"], "no collection 'other'"),
        ("bad_jsonl", ["import", "{tmp}/new.db", "{tmp}/bad.jsonl"], "not JSON"),
        ("a.txt", ["import", "{tmp}/new.db", "{tmp}/a.txt"], "not JSON"),
    ],
)
def test_errors_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup, argv, message
) -> None:  # type: ignore[no-untyped-def]
    if "my notes" in " ".join(argv) and lite_generation() >= 3:
        pytest.skip("Milvus Lite 3 accepts such names")
    if setup == "empty_dir":
        (tmp_path / "empty").mkdir()
    elif setup == "latin1":
        (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    elif setup == "bad_jsonl":
        (tmp_path / "bad.jsonl").write_text("{not json\n")
    elif setup == "no_text_jsonl":
        (tmp_path / "notext.jsonl").write_text('{"title": "x"}\n')
    elif setup == "pdf":
        (tmp_path / "x.pdf").write_bytes(b"%PDF")
    elif setup == "png":
        (tmp_path / "x.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    elif setup == "damaged":
        (tmp_path / "damaged.db").write_bytes(bytes(range(256)) * 40)
    elif setup == "a.txt":
        (tmp_path / "a.txt").write_text("hello world")
    elif setup == "db":
        (tmp_path / "a.txt").write_text("hello world")
        main(["index", str(tmp_path / "a.txt"), "--db", str(tmp_path / "cli.db"), "--no-progress"])
        capsys.readouterr()
    code, out, err = run(capsys, *[a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert code == 2
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "new.db").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search", "q", "-k", "0"], "-k must be > 0"),
        (["index", "{tmp}/nothing-here"], "no such file or folder"),
    ],
)
def test_cli_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert cli([a.replace("{tmp}", str(tmp_path)) for a in argv]) == 2
    assert message in capsys.readouterr().err


def test_nothing_half_written_on_bad_input(files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "cli.db")
    (files / "z_bad.jsonl").write_text("{broken\n")
    code, _, err = run(capsys, "index", str(files), "--db", db, "--no-progress")
    assert code == 2 and "not JSON" in err
    assert not Path(db).exists()  # inputs are read and checked before anything is written


def test_locked_database_is_one_clear_line(tmp_path: Path, dense_encoder) -> None:  # type: ignore[no-untyped-def]
    from milvus_model_adapters.store import HybridStore

    db = str(tmp_path / "locked.db")
    holder = HybridStore(db, dense=dense_encoder)
    holder.add(["held open by another process"])
    (tmp_path / "a.txt").write_text("hello")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "milvus_model_adapters.tools.cli",
            "index",
            str(tmp_path / "a.txt"),
            "--db",
            db,
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    holder.close()
    assert proc.returncode == 2
    assert "open in another process" in proc.stderr and proc.stderr.strip().count("\n") == 0


def test_search_releases_the_database_for_other_processes(files: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    db = str(tmp_path / "cli.db")
    run(capsys, "index", str(files), "--db", db, "--no-progress")
    code, _, _ = run(capsys, "search", "wing lift", "--db", db)
    assert code == 0
    probe = (
        "from milvus_model_adapters.store.connection import connect\n"
        f"connect({db!r}, token=None, db_name=None).close()\nprint('OPENED')"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert "OPENED" in proc.stdout, proc.stderr[-2000:]


def test_index_and_eval_store_the_same_text_for_a_beir_document(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from milvus_model_adapters.store import HybridStore
    from milvus_model_adapters.tools.evaluation import load_beir

    beir = write_beir(tmp_path / "tiny")
    db = str(tmp_path / "beir.db")
    assert run(capsys, "index", str(beir), "--db", db, "--no-progress", "--chunk-words", "1000")[0] == 0
    with HybridStore(db) as store:
        indexed = sorted(d.text for d in store.documents())
    assert indexed == sorted(load_beir(beir).documents()[1])


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ('{"id": "bad", "text": "nan metadata", "x": NaN}', "bad: metadatas[0] is not JSON-serialisable"),
        ('{"id": "bad", "text": "huge", "n": 18446744073709551616}', "beyond the 64-bit integers"),
        ('{"id": "bad", "text": "' + "w" * 70_000 + '"}', "split it into chunks"),
    ],
)
def test_a_bad_record_after_good_ones_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], record: str, message: str
) -> None:
    db = tmp_path / "cli.db"
    good = tmp_path / "good.jsonl"
    good.write_text('{"id": "ok", "text": "a good record about kettles"}\n')
    assert run(capsys, "index", str(good), "--db", str(db), "--no-progress")[0] == 0
    bad = tmp_path / "mixed.jsonl"
    bad.write_text('{"id": "fine", "text": "another good record"}\n' + record + "\n")
    code, out, err = run(capsys, "index", str(bad), "--db", str(db), "--no-progress")
    assert code == 2 and message in err and err.count("\n") == 1 and "Traceback" not in err
    code, out, _ = run(capsys, "search", "good record", "--db", str(db), "--json")
    assert [h["metadata"]["source"].split("#")[1] for h in json.loads(out)] == ["ok"]  # nothing of mixed.jsonl


def test_a_run_that_stopped_half_way_is_completed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from milvus_model_adapters.store import HybridStore

    long_doc = tmp_path / "long.txt"
    long_doc.write_text(" ".join(f"word{i}." for i in range(600)))
    db = str(tmp_path / "cli.db")
    assert run(capsys, "index", str(long_doc), "--db", db, "--no-progress", "--chunk-words", "100")[0] == 0
    with HybridStore(db) as store:
        chunks = sorted(d.id for d in store.documents())
        assert len(chunks) > 3
        store.delete(chunks[:2])  # as if the run had stopped before writing them
    code, out, _ = run(capsys, "index", str(long_doc), "--db", db, "--no-progress", "--chunk-words", "100")
    assert "indexed 1 document(s)" in out
    with HybridStore(db) as store:
        assert sorted(d.id for d in store.documents()) == chunks
    code, out, err = run(capsys, "index", str(long_doc), "--db", db, "--no-progress", "--chunk-words", "100")
    assert "indexed 0 document(s)" in out and "WARNING" not in err


def test_index_with_languages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.support.bilingual import CHINESE_QUERIES, GERMAN_QUERIES, LANGUAGE_OF, TEXTS

    corpus = tmp_path / "mixed.jsonl"
    corpus.write_text(
        "\n".join(
            json.dumps({"id": i, "text": t, "language": LANGUAGE_OF[i]}, ensure_ascii=False) for i, t in TEXTS.items()
        ),
        encoding="utf-8",
    )
    db = str(tmp_path / "mixed.db")
    code, out, err = run(capsys, "index", str(corpus), "--db", db, "--language", "de,en,zh", "--no-progress")
    assert code == 0, err
    for query, answer in {**GERMAN_QUERIES, **CHINESE_QUERIES}.items():
        code, out, _ = run(capsys, "search", query, "--db", db, "--mode", "sparse", "--json", "-k", "1")
        assert json.loads(out)[0]["metadata"]["source"].endswith(f"#{answer}"), query
    # The collection keeps its analysis: another --language is refused, without a traceback.
    code, out, err = run(capsys, "index", str(corpus), "--db", db, "--language", "en", "--no-progress")
    assert (
        code == 2 and err.startswith("error: --language en: the collection already analyses") and "Traceback" not in err
    )
    code, _, err = run(capsys, "index", str(corpus), "--db", str(tmp_path / "x.db"), "--language", "klingon")
    assert code == 2 and "unknown language 'klingon'" in err and not (tmp_path / "x.db").exists()


def test_index_in_one_language(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.support.bilingual import GERMAN, GERMAN_QUERIES

    docs = tmp_path / "de"
    docs.mkdir()
    for key, text in GERMAN.items():
        (docs / f"{key}.txt").write_text(text, encoding="utf-8")
    db = str(tmp_path / "de.db")
    assert run(capsys, "index", str(docs), "--db", db, "--language", "german", "--no-progress")[0] == 0
    code, out, _ = run(capsys, "search", *GERMAN_QUERIES, "--db", db, "--mode", "sparse", "--json", "-k", "1")
    tops = [Path(r["hits"][0]["metadata"]["source"]).name for r in json.loads(out)]
    assert tops == [f"{answer}.txt" for answer in GERMAN_QUERIES.values()]


def test_index_and_search_on_the_int8_backend(files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "int8.db")
    code, out, _ = run(capsys, "index", str(files), "--db", db, "--backend", "onnx-int8", "--no-progress")
    assert code == 0 and "indexed 4 document(s)" in out
    code, out, _ = run(capsys, "search", "jet thrust", "--db", db, "--backend", "onnx-int8", "--rerank", "--json")
    assert code == 0 and json.loads(out)[0]["text"].startswith("Jet engines")
    with pytest.raises(SystemExit) as exit_info:
        main(["search", "jet", "--db", db, "--backend", "tensorrt"])
    assert exit_info.value.code == 2 and "invalid choice: 'tensorrt'" in capsys.readouterr().err


def test_a_rerun_reads_the_vectors_from_the_cache(
    files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from milvus_model_adapters.encoders.dense import DenseEncoder

    monkeypatch.setenv("MMA_CACHE_DIR", str(tmp_path / "cache"))
    encoded: list[str] = []
    sliced = DenseEncoder._sliced

    def counting(self: DenseEncoder, method: object, texts: list[str]) -> object:
        encoded.extend(texts)
        return sliced(self, method, texts)

    monkeypatch.setattr(DenseEncoder, "_sliced", counting)
    assert run(capsys, "index", str(files), "--db", str(tmp_path / "a.db"), "--no-progress")[0] == 0
    assert len(encoded) == 4 and list((tmp_path / "cache" / "embeddings").glob("*.sqlite3"))
    encoded.clear()
    code, out, _ = run(capsys, "index", str(files), "--db", str(tmp_path / "b.db"), "--no-progress")
    assert code == 0 and "indexed 4 document(s)" in out and encoded == []  # a new database, no encoding
    code, out, _ = run(capsys, "search", "why do wings produce lift", "--db", str(tmp_path / "b.db"), "--json")
    assert "wing" in json.loads(out)[0]["text"].lower()  # the cached vectors are the model's
    encoded.clear()
    run(capsys, "index", str(files), "--db", str(tmp_path / "c.db"), "--no-progress", "--no-cache")
    assert len(encoded) == 4


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from milvus_model_adapters import __version__

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"milvus-model-adapters {__version__}"
