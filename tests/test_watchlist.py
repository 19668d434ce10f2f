import os
import tomllib
from pathlib import Path

from click.testing import CliRunner

from tracker.cli import cli
from tracker.watchlist import load


def tracker(*args):
    return CliRunner().invoke(cli, list(args))


def test_add_writes_a_readable_entry_and_keeps_comments(workspace):
    (workspace / "watchlist.toml").write_text("# Sources we watch, by hand too.\n")
    result = tracker("add", "https://acme.example/privacy", "--service", "Acme Santé",
                     "--document", "Privacy Policy", "--select", "main", "--remove", ".ads",
                     "--every", "6h", "--lang", "fr")
    assert result.exit_code == 0, result.output
    text = (workspace / "watchlist.toml").read_text()
    assert text.startswith("# Sources we watch, by hand too.")
    entry = tomllib.loads(text)["acme-sante"]["privacy-policy"]
    assert entry == {"name": "Acme Santé", "title": "Privacy Policy", "url": "https://acme.example/privacy",
                     "select": ["main"],
                     "remove": [".ads"], "every": "6h", "lang": "fr"}


def test_add_leaves_what_is_written_as_it_is_and_puts_a_document_beside_its_siblings(workspace):
    written = "[acme.privacy]   # by hand\nurl   =   'https://acme.example/p'\n\n\n# more to come\n"
    (workspace / "watchlist.toml").write_text(written)
    assert tracker("add", "https://beta.example/p", "--service", "beta", "--document", "privacy").exit_code == 0
    assert tracker("add", "https://acme.example/t", "--service", "acme", "--document", "terms").exit_code == 0
    text = (workspace / "watchlist.toml").read_text()
    assert text.startswith(written.rstrip("\n"))
    assert text.index("[acme.terms]") < text.index("[beta.privacy]")
    assert text.endswith('every = "12h"\n')
    assert [s.key for s in load(workspace / "watchlist.toml").sources] == ["acme/privacy", "acme/terms", "beta/privacy"]


def test_adding_beside_what_cannot_take_a_table_is_one_line_and_changes_nothing(workspace):
    watchlist = workspace / "watchlist.toml"
    for written, document in [('acme = { privacy = { url = "https://acme.example/p" } }\n', "terms"),
                              ('acme = "not a table"\n', "terms"),
                              ('[acme.terms]\nurl = "ftp://acme.example/t"\n', "terms")]:
        watchlist.write_text(written)
        result = tracker("add", "https://acme.example/t2", "--service", "acme", "--document", document)
        assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1, result.output
        assert result.output.startswith("error: ") and "Traceback" not in result.output
        assert watchlist.read_text() == written


def test_names_become_safe_slugs(workspace):
    result = tracker("add", "https://x.example/", "--service", "../../etc", "--document", "passwd")
    assert result.exit_code == 0
    assert [s.key for s in load(workspace / "watchlist.toml").sources] == ["etc/passwd"]


def test_duplicates_malformed_urls_and_bad_selectors_are_refused_in_one_line(workspace):
    assert tracker("add", "https://a.example/p", "--service", "a", "--document", "p").exit_code == 0
    cases = [
        (["https://a.example/other", "--service", "A", "--document", "P"], "already watched"),
        (["https://a.example/p", "--service", "b", "--document", "p"], "already watched"),
        (["not a url", "--service", "c", "--document", "p"], "malformed URL"),
        (["ftp://c.example/p", "--service", "c", "--document", "p"], "malformed URL"),
        (["https://c.example/p", "--service", "c", "--document", "p", "--select", "div[["], "invalid CSS selector"),
        (["https://c.example/p", "--service", "c", "--document", "p", "--every", "often"], "invalid interval"),
    ]
    before = (workspace / "watchlist.toml").read_text()
    for args, message in cases:
        result = tracker("add", *args)
        assert result.exit_code != 0
        assert message in result.output and len(result.output.strip().splitlines()) == 1
        assert "Traceback" not in result.output
    assert (workspace / "watchlist.toml").read_text() == before


def test_list_shows_each_source_with_its_status(workspace):
    tracker("add", "https://a.example/p", "--service", "a", "--document", "privacy")
    result = tracker("list")
    assert result.exit_code == 0
    assert "a/privacy" in result.output and "never checked" in result.output and "0 versions" in result.output


def test_a_bad_entry_written_by_hand_does_not_hide_the_others(workspace):
    (workspace / "watchlist.toml").write_text(
        '["../../etc".passwd]\nurl = "http://127.0.0.1/x"\n\n[good.doc]\nurl = "http://127.0.0.1/y"\n')
    watchlist = load(workspace / "watchlist.toml")
    assert [s.key for s in watchlist.sources] == ["good/doc"]
    assert len(watchlist.problems) == 1 and "slug" in watchlist.problems[0]


def test_one_selector_written_as_a_string_is_one_selector(workspace):
    (workspace / "watchlist.toml").write_text(
        '[acme.privacy]\nurl = "http://127.0.0.1/x"\nselect = "#policy"\nremove = "nav"\n\n'
        '[acme.terms]\nurl = "http://127.0.0.1/y"\nselect = 3\n')
    watchlist = load(workspace / "watchlist.toml")
    [source] = watchlist.sources
    assert (source.select, source.remove) == (("#policy",), ("nav",))
    assert watchlist.problems == ("[acme.terms]: invalid select 3: write a CSS selector or a list of them",)


def _cached(cache_home):
    return sorted((cache_home / "pledge-tracker").glob("watchlist-*.json"))


def test_a_watchlist_edited_in_place_is_read_anew_not_from_the_cache(workspace, monkeypatch):
    path = workspace / "watchlist.toml"
    path.write_text('[acme.privacy]\nurl = "https://a.example/p"\n')
    assert [s.url for s in load(path).sources] == ["https://a.example/p"]
    assert len(_cached(Path(os.environ["XDG_CACHE_HOME"]))) == 1  # parsed once, kept

    path.write_text('[acme.privacy]\nurl = "https://b.example/p"\n')  # same length, same second
    assert [s.url for s in load(path).sources] == ["https://b.example/p"]
    path.write_text('[acme.privacy]\nurl = "https://b.example/p"\nevery = "nope"\n')
    assert load(path).sources == () and "invalid interval" in load(path).problems[0]


def test_a_damaged_or_foreign_cache_is_ignored(workspace):
    path = workspace / "watchlist.toml"
    path.write_text('[acme.privacy]\nurl = "https://a.example/p"\nevery = "7d"\n')
    load(path)
    (cached,) = _cached(Path(os.environ["XDG_CACHE_HOME"]))
    for junk in (b"\x00not json", b'{"stamp": 3}', b"[]"):
        cached.write_bytes(junk)
        assert [(s.key, s.every) for s in load(path).sources] == [("acme/privacy", "7d")]
    cached.unlink()
    cached.mkdir()  # a folder where the cache file goes
    assert [(s.key, s.every) for s in load(path).sources] == [("acme/privacy", "7d")]


def test_a_watchlist_holding_a_password_never_reaches_the_cache(workspace):
    path = workspace / "watchlist.toml"
    for written in ("bob:s3cret@a.example", "bob:s3cret\\u0040a.example"):  # also behind a TOML escape
        path.write_text(f'[acme.privacy]\nurl = "https://{written}/p"\n')
        assert [s.url for s in load(path).sources] == ["https://bob:s3cret@a.example/p"]
        assert _cached(Path(os.environ["XDG_CACHE_HOME"])) == []
        kept = (Path(os.environ["XDG_CACHE_HOME"]) / "pledge-tracker").glob("*")
        assert not any(b"s3cret" in copy.read_bytes() for copy in kept if copy.is_file())


def test_a_cache_folder_others_may_write_to_is_not_used(workspace):
    folder = Path(os.environ["XDG_CACHE_HOME"]) / "pledge-tracker"
    folder.mkdir()
    folder.chmod(0o777)
    path = workspace / "watchlist.toml"
    path.write_text('[acme.privacy]\nurl = "https://a.example/p"\n')
    assert [s.url for s in load(path).sources] == ["https://a.example/p"]
    assert _cached(folder.parent) == []


def test_without_a_home_nothing_is_cached_or_made(workspace, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(workspace / "nobody"))
    path = workspace / "watchlist.toml"
    path.write_text('[acme.privacy]\nurl = "https://a.example/p"\n')
    assert [s.url for s in load(path).sources] == ["https://a.example/p"]
    assert sorted(p.name for p in workspace.iterdir()) == ["watchlist.toml"]


def test_a_watchlist_path_that_cannot_be_a_file_reads_as_empty(workspace):
    (workspace / "file").write_text("not a folder")
    assert load(workspace / "file" / "watchlist.toml").sources == ()


def test_the_cache_is_private_to_its_owner(workspace):
    path = workspace / "watchlist.toml"
    path.write_text('[acme.privacy]\nurl = "https://a.example/p"\n')
    load(path)
    (cached,) = _cached(Path(os.environ["XDG_CACHE_HOME"]))
    assert cached.stat().st_mode & 0o077 == 0 and cached.parent.stat().st_mode & 0o077 == 0


def test_the_cache_keeps_the_latest_watchlists_only(workspace):
    for i in range(40):
        folder = workspace / f"w{i}"
        folder.mkdir()
        (folder / "watchlist.toml").write_text(f'[acme.privacy]\nurl = "https://a.example/{i}"\n')
        load(folder / "watchlist.toml")
    assert len(_cached(Path(os.environ["XDG_CACHE_HOME"]))) == 32
    assert [s.url for s in load(workspace / "w39" / "watchlist.toml").sources] == ["https://a.example/39"]
