"""Time `build_site` on a generated archive of many services and versions.

    .venv/bin/python bench/site_build.py [--services 200] [--versions 20] [--keep DIR]

Generates an archive directly with Archive.record: one policy per service
(5 to 25 KB of policy-like paragraphs), each new version changing a few
sentences (a dropped "only" or "never", a slower answer, a sentence added,
removed or reworded). A version's changes are those edits, listed as
tracker.compare lists changes: comparing 3,800 pairs of 15 KB texts takes
about 0.15 s each per core, several minutes on a small machine; --compare
computes them with tracker.compare on every core instead.
Then times a full build into an empty folder, a rebuild with nothing new, and
rebuild after one new version of one document (the best of three, each of another
document: the machine is shared). One line per figure.

    .venv/bin/python bench/site_build.py --against 2b677fa

first runs this bench on the tracker package of another commit (from `git archive`),
then on this one, on the same machine in the same run, and prints both side by side:
the goals of issue 19 are a site at most a third of that commit's, a full build within
20 s and a rebuild after one new version within 1 s.
"""

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

# --code DIR: time the tracker package of another tree (see --against); read before the imports,
# and passed on to the processes build_site starts (they import this file again, without its arguments)
if "--code" in sys.argv:
    os.environ["TRACKER_BENCH_CODE"] = sys.argv[sys.argv.index("--code") + 1]
sys.path.insert(0, os.environ.get("TRACKER_BENCH_CODE") or str(Path(__file__).resolve().parents[1]))

from tracker.archive import Archive  # noqa: E402
from tracker.compare import compare  # noqa: E402
from tracker.site import build_site  # noqa: E402
from tracker.watchlist import Source  # noqa: E402

REBUILDS = 3  # rebuilds after one new version, each of another document: the best is kept

TOPICS = (
    "email address",
    "location",
    "payment details",
    "contacts",
    "device identifiers",
    "health data",
    "browsing history",
    "voice recordings",
    "photos",
    "purchase history",
)
PURPOSES = (
    "to run the service",
    "to send you receipts",
    "to prevent fraud",
    "to answer your questions",
    "to improve our products",
    "to meet our legal obligations",
)
PARTIES = (
    "advertising partners",
    "data brokers",
    "our hosting provider",
    "law enforcement",
    "insurers",
)
SENTENCES = (
    "We only use your {t} {p}.",
    "We never sell your {t} to {r}.",
    "We keep your {t} for {d} days after you close your account.",
    "You can ask us at any time to access, correct or delete your {t}.",
    "We do not share your {t} with {r} without your consent.",
    "We encrypt your {t} in transit and at rest.",
    "We may use your {t} {p}.",
    "Our data protection officer answers requests about your {t} within one month.",
    "We collect your {t} only when you give it to us.",
    "The {t} of children under 16 is never used {p}.",
)
WEAKEN = (
    (" only ", " "),
    (" never ", " may "),
    ("do not share", "may share"),
    (" at any time", ""),
    ("within one month", "within three months"),
    (" without your consent", ""),
)
START = datetime(2022, 1, 3, 9, tzinfo=UTC)
BASE = Source("", "", "https://policies.example/")


def sentence(rnd: random.Random) -> str:
    return rnd.choice(SENTENCES).format(
        t=rnd.choice(TOPICS),
        p=rnd.choice(PURPOSES),
        r=rnd.choice(PARTIES),
        d=rnd.choice((30, 90, 180, 365)),
    )


def first_text(rnd: random.Random) -> list[list[str]]:
    """Sections of paragraphs of sentences, 5 to 25 KB in all."""
    target, size, sections = rnd.randint(5_000, 25_000), 0, []
    while size < target:
        paragraphs = [
            [sentence(rnd) for _ in range(rnd.randint(2, 4))] for _ in range(rnd.randint(2, 5))
        ]
        sections.append(paragraphs)
        size += sum(len(s) + 1 for p in paragraphs for s in p)
    return sections


def edit(
    rnd: random.Random, sections: list[list[list[str]]]
) -> tuple[list[list[list[str]]], list[dict]]:
    """The next version: two to five sentences changed somewhere, and those changes as
    `tracker diff --format json` would list them (the cheap stand-in for compare)."""
    sections = [[list(p) for p in paragraphs] for paragraphs in sections]
    changes = []
    for _ in range(rnd.randint(2, 5)):
        n = rnd.randrange(len(sections))
        paragraph = rnd.choice(sections[n])
        i = rnd.randrange(len(paragraph))
        old, action = paragraph[i], rnd.random()
        change = {"old": old, "new": None, "reasons": [], "context": f"{n + 1}. About your data"}
        if action < 0.45:
            was, now = rnd.choice(
                [w for w in WEAKEN if w[0] in old] or [(".", ", as the law allows.")]
            )
            paragraph[i] = old.replace(was, now, 1)
            change.update(
                type="weakened",
                new=paragraph[i],
                reasons=[
                    {"code": "bench", "detail": f"'{was.strip(' .')}' became '{now.strip(' .')}'"}
                ],
            )
        elif action < 0.7:
            paragraph.insert(i, sentence(rnd))
            change.update(type="added", old=None, new=paragraph[i])
        elif action < 0.85 and len(paragraph) > 1:
            del paragraph[i]
            change.update(type="removed")
        else:
            paragraph[i] = old.replace("We ", "Our company ", 1)
            change.update(type="reworded", new=paragraph[i])
        changes.append(change)
    return sections, changes


def render(service: int, sections: list[list[list[str]]]) -> str:
    parts = [f"# Privacy policy of service {service}"]
    for n, paragraphs in enumerate(sections, 1):
        parts.append(f"## {n}. About your data")
        parts += [" ".join(p) for p in paragraphs]
    return "\n\n".join(parts) + "\n"


def history(args: tuple[int, int, bool]) -> list[tuple[str, list[dict]]]:
    """(text, changes) of every version of one service's policy."""
    service, count, engine = args
    rnd = random.Random(service)
    sections = first_text(rnd)
    result = [(render(service, sections), [])]
    for _ in range(count - 1):
        sections, changes = edit(rnd, sections)
        text = render(service, sections)
        if engine:
            changes = [c.to_dict() for c in compare(result[-1][0], text, "en")]
        result.append((text, changes))
    return result


def record(archive: Archive, service: int, n: int, text: str, changes: list[dict]) -> None:
    name = f"service-{service:03d}"
    archive.record(
        name,
        "privacy-policy",
        text,
        fetched_at=START + timedelta(days=7 * n, minutes=service),
        url=f"{BASE.url}{name}",
        raw_sha256=None,
        kind="text",
        lang="en",
        changes=changes,
    )


def timed(label: str, function) -> float:
    start = time.perf_counter()
    function()
    seconds = time.perf_counter() - start
    print(f"{label}: {seconds:.2f} s", flush=True)
    return seconds


FIGURES = re.compile(r"^(full build into an empty folder|rebuild, nothing new|rebuild after one new version "
                     r"of one document|site MB): ([\d.]+)(?: s)?$")


def against(revision: str, args: list[str]) -> dict[str, float]:
    """The figures of this bench run on the tracker package of `revision`, printed as they come."""
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tree:
        archive = subprocess.run(["git", "-C", str(root), "archive", revision, "tracker"], check=True,
                                 capture_output=True)
        subprocess.run(["tar", "-x", "-C", tree], input=archive.stdout, check=True)
        # run from the tree: the forkserver's server starts with the current folder first on its path
        run = subprocess.run([sys.executable, __file__, *args, "--code", tree], check=True, capture_output=True,
                             text=True, cwd=tree)
    figures = {}
    for line in run.stdout.splitlines():
        print(f"{revision}: {line}", flush=True)
        match = FIGURES.match(line)
        if match:
            figures[match.group(1)] = float(match.group(2))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--versions", type=int, default=20)
    parser.add_argument(
        "--compare",
        action="store_true",
        help="compute changes with tracker.compare (about 0.15 s a version per core) "
        "instead of listing the generated edits",
    )
    parser.add_argument(
        "--keep", type=Path, help="write the archive and site here instead of a temporary folder"
    )
    parser.add_argument("--against", metavar="REVISION", help="first run this bench with that commit's code")
    parser.add_argument("--code", type=Path, help="the tree whose tracker package is timed (read at import)")
    args = parser.parse_args()
    before = against(args.against, [f"--services={args.services}", f"--versions={args.versions}"]
                     + ["--compare"] * args.compare) if args.against else {}
    now = {}
    with tempfile.TemporaryDirectory() as scratch:
        root = args.keep or Path(scratch)
        archive, out = Archive(root / "snapshots"), root / "site"
        sources = tuple(
            Source(
                f"service-{i:03d}",
                "privacy-policy",
                f"{BASE.url}service-{i:03d}",
                name=f"Service {i}",
            )
            for i in range(args.services)
        )
        histories: list = []

        def generate() -> None:
            with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
                histories.extend(
                    pool.map(
                        history,
                        [(i, args.versions + 1, args.compare) for i in range(args.services)],
                    )
                )
            for service, versions in enumerate(histories):
                for n, (text, changes) in enumerate(versions[:-1]):
                    record(archive, service, n, text, changes)

        how = "tracker.compare" if args.compare else "edits as changes"
        timed(
            f"generate {args.services} services x {args.versions} versions "
            f"({how} on {os.cpu_count()} cores, record)",
            generate,
        )
        size = sum(len(v[0][0]) for v in histories) / len(histories) / 1000
        changes = sum(len(c) for v in histories for _, c in v[1:-1])
        print(
            f"archive: {args.services * args.versions} versions, {size:.1f} KB a text on average, "
            f"{changes} pledge changes"
        )
        now["full build into an empty folder"] = timed(
            "full build into an empty folder", lambda: build_site(archive, sources, out))
        files = [p for p in out.rglob("*") if p.is_file()]
        print(f"site: {len(files)} files, {sum(p.stat().st_size for p in files) / 1e6:.1f} MB")
        now["rebuild, nothing new"] = timed("rebuild, nothing new", lambda: build_site(archive, sources, out))
        times = []
        for service in range(REBUILDS):
            text, new_changes = histories[service][-1]
            record(archive, service, args.versions, text, new_changes)
            times.append(timed(f"rebuild after a new version of service {service}",
                               lambda: build_site(archive, sources, out)))
        now["rebuild after one new version of one document"] = min(times)
        print(f"rebuild after one new version of one document: {min(times):.2f} s")
        now["site MB"] = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
        print(f"site MB: {now['site MB']:.2f}")
    for name, figure in before.items():
        print(f"{name}: {args.against} {figure:.2f}, now {now[name]:.2f} ({now[name] / figure:.2f} of it)")


if __name__ == "__main__":
    main()
