import pytest
from conftest import EXAMPLES

from tracker.errors import ExtractError, WatchlistError
from tracker.extract import HTML, PDF, TEXT, extract, sniff

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>T</title>
<style>p{}</style><script>var secret = "never shown";</script></head><body>
<header>Site header</header><nav><a href="/">Home</a></nav>
<div id="cookie-banner">We use cookies <button>OK</button></div>
<main><h1>Privacy</h1><p>We <b>never</b> sell <a href="/x">your data</a>.</p>
<ol start="3"><li>Third pledge.</li><li><p>Fourth pledge.</p></li></ol>
<ul><li>A bullet.</li></ul>
<table><tr><th>Data</th><th>Kept</th></tr><tr><td>Logs</td><td>6 months</td></tr></table>
<section id="cookies"><h2>Cookies</h2><p>We use strictly necessary cookies.</p></section>
<aside class="ad">Buy now</aside></main>
<footer>© 2024 Example</footer></body></html>"""


def test_html_keeps_structure_as_markdown_like_lines():
    text = extract(PAGE.encode(), HTML)
    assert text.splitlines() == [
        "# Privacy", "", "We never sell your data.", "", "3. Third pledge.", "", "4. Fourth pledge.",
        "", "- A bullet.", "", "| Data | Kept |", "", "| Logs | 6 months |", "", "## Cookies", "",
        "We use strictly necessary cookies.", "", "Buy now",
    ]


def test_page_furniture_is_dropped_but_a_cookie_policy_section_is_kept():
    text = extract(PAGE.encode(), HTML)
    for furniture in ("Site header", "Home", "We use cookies", "never shown", "2024"):
        assert furniture not in text
    assert "strictly necessary cookies" in text


def test_every_cookie_banner_of_a_page_is_dropped_not_only_the_first():
    page = ("<html><body><main><p>We keep your data for 30 days.</p>"
            "<div class=cookie-banner><p>We use cookies (first banner).</p></div>"
            "<p>We never sell it.</p><div id=consent-modal><p>We use cookies (second banner).</p>"
            "<div class=gdpr-popup>Accept all (inside the second)</div></div>"
            "<section class=onetrust-pc><p>We use cookies (third banner).</p></section>"
            "<p>You can delete it.</p></main></body></html>")
    text = extract(page.encode(), HTML)
    assert text.splitlines() == ["We keep your data for 30 days.", "", "We never sell it.", "", "You can delete it."]


def test_select_and_remove_rules_apply():
    text = extract(PAGE.encode(), HTML, select=("main",), remove=(".ad", "table"))
    assert "Buy now" not in text and "Logs" not in text
    assert text.startswith("# Privacy")


def test_select_matching_nothing_is_an_error():
    with pytest.raises(ExtractError, match="match nothing"):
        extract(PAGE.encode(), HTML, select=("#missing",))


def test_invalid_selector_is_refused_in_words():
    with pytest.raises(WatchlistError, match="invalid CSS selector"):
        extract(PAGE.encode(), HTML, select=("main[",))


def test_charset_declared_in_meta_is_honoured():
    html = '<html><head><meta charset="iso-8859-1"></head><body><p>Données à caractère</p></body></html>'
    assert extract(html.encode("latin-1"), HTML) == "Données à caractère\n"


def test_declared_charset_wins_and_utf8_is_the_fallback():
    html = "<p>Übermittlung</p>".encode("cp1252")
    assert extract(html, HTML, charset="cp1252") == "Übermittlung\n"
    assert extract("<p>Übermittlung</p>".encode(), HTML) == "Übermittlung\n"


def test_binary_junk_is_refused():
    with pytest.raises(ExtractError, match="binary"):
        extract(bytes(range(256)) * 40, HTML)


def test_broken_pdf_is_refused():
    with pytest.raises(ExtractError, match="broken PDF"):
        extract(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage", PDF)


def test_a_page_of_only_scripts_has_no_text():
    with pytest.raises(ExtractError, match="no text"):
        extract(b"<html><body><script>alert(1)</script><script>x()</script></body></html>", HTML)


def test_kind_is_recognized_from_bytes_before_the_declared_type():
    assert sniff(b"%PDF-1.4 ...", "text/html") == PDF
    assert sniff(b"<!DOCTYPE html><html>", "application/octet-stream") == HTML
    assert sniff(b"plain words", "text/plain") == TEXT
    assert sniff(b"# Title", "", "notes.md") == TEXT


def test_pdf_drops_running_headers_footers_and_joins_hyphenated_words():
    text = extract((EXAMPLES / "charte-v3.pdf").read_bytes(), PDF)
    assert "Page 1 / 2" not in text and "des patients" not in text
    assert "charte de confidentialité : elle rassemble" in text  # "confidentia-" / "lité"
    assert "sans votre consentement explicite" in text  # "con-" / "sentement"
    # a pledge split by the page break comes back whole
    assert "7. Vous pouvez consulter les paramètres de votre compte à tout moment." in text.splitlines()


def test_pdf_table_rows_and_headings_come_out_like_html():
    text = extract((EXAMPLES / "charte-v3.pdf").read_bytes(), PDF)
    assert "| Documents médicaux | 5 ans après votre dernière consultation |" in text.splitlines()
    assert "## Vos droits" in text.splitlines()


def test_pdf_reading_is_capped_in_time_and_memory():
    from tracker.extract.pdf import pdf_to_text

    content = (EXAMPLES / "charte-v3.pdf").read_bytes()
    with pytest.raises(ExtractError, match="took over"):
        pdf_to_text(content, seconds=0.01)
    with pytest.raises(ExtractError, match="memory cap"):
        pdf_to_text(content, memory=32 << 20)


def test_html_nested_a_hundred_thousand_levels_deep_is_a_clear_error():
    deep = b"<html><body>" + b"<div>" * 100_000 + b"<p>We never sell your data.</p>" + b"</div>" * 100_000
    with pytest.raises(ExtractError, match="nested too deeply"):
        extract(deep, HTML)


def test_a_ten_megabyte_line_is_read_whole():
    text = extract(b"<html><body><p>" + b"data " * 2_000_000 + b"</p></body></html>", HTML)
    assert len(text) == 10_000_000


def test_a_lying_charset_falls_back_to_what_the_bytes_are():
    latin1 = '<html><body><p>Données personnelles</p></body></html>'.encode("latin-1")
    assert extract(latin1, HTML, charset="utf-8") == "Données personnelles\n"
    assert extract('<p>Données</p>'.encode(), HTML, charset="no-such-charset") == "Données\n"
