"""The bundled example, end to end: `make demo` tells the story of examples/README.md."""

import runpy

from conftest import EXAMPLES

from tracker.archive import Archive


def test_the_demo_recovers_the_whole_story(tmp_path, capsys):
    demo = runpy.run_path(str(EXAMPLES / "demo.py"))
    demo["main"](tmp_path / "demo")
    home = capsys.readouterr().out.strip().splitlines()[-1]
    assert home.endswith("index.html") and (tmp_path / "demo" / "site" / "index.html").exists()
    first, second, third = Archive(tmp_path / "demo" / "snapshots").versions("santelia", "charte-de-confidentialite")
    assert first.date == "2020-06-15" and third.kind == "pdf"
    story = {(c["type"], (c["old"] if isinstance(c["old"], str) else " + ".join(c["old"] or ""))[:40])
             for c in second.changes + third.changes}
    assert story == {
        ("removed", "Seuls vous et votre professionnel de san"),
        ("weakened", "Vos données servent uniquement à deux fi"),
        ("weakened", "Nous n'utilisons jamais vos données de s"),
        ("weakened", "Vous pouvez récupérer et supprimer vos d"),
        ("merged", "Vos données sont hébergées en France che"),
        ("weakened", "| Documents médicaux | 3 ans après votre"),
    }
    reasons = {r["code"] for c in second.changes + third.changes for r in c["reasons"]}
    assert {"exclusivity-removed", "absolute-removed", "retention-lengthened"} <= reasons
