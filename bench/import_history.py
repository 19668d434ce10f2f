"""Time `import-history` on a generated OTA versions repository, with peak memory.

    .venv/bin/python bench/import_history.py [--commits 10000] [--documents 200] [--workers 2]

Builds, with `git fast-import`, a repository of COMMITS commits laid out as OTA
does (`<service>/<terms type>.md`, one commit per version, each commit editing one
document: an "only" dropped, a sentence added or reworded), imports it into an
empty archive, then imports it again (which must add nothing). Prints the
versions per second of both runs and the peak RSS of this process and of the
largest child (import workers, git).
"""

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))

from tracker import ota  # noqa: E402
from tracker.archive import Archive  # noqa: E402

TOPICS = ("email address", "location", "payment details", "contacts", "device identifiers", "health data")
VERBS = ("collect", "keep", "share", "encrypt", "delete", "transfer", "use", "store")
TYPES = ("Privacy Policy", "Terms of Service", "Trackers Policy", "Data Charter")


def first_text(rnd: random.Random, service: int) -> list[str]:
    paragraphs = [f"# Privacy policy of Service {service}"]
    for section in range(6):
        paragraphs.append(f"## {section + 1}. Your {rnd.choice(TOPICS)}")
        for _ in range(2):
            paragraphs.append(
                f"We {rnd.choice(VERBS)} your {rnd.choice(TOPICS)} only to run the service and we keep it "
                f"for {rnd.choice((30, 90, 365))} days. You can ask us at any time to delete it.")
    return paragraphs


def edit(rnd: random.Random, paragraphs: list[str]) -> None:
    """One realistic change: a pledge weakened, a sentence added, or a pledge reworded."""
    i = rnd.randrange(1, len(paragraphs))
    roll = rnd.random()
    if roll < 0.4 and " only " in paragraphs[i]:
        paragraphs[i] = paragraphs[i].replace(" only ", " ", 1)
    elif roll < 0.7 or " days" not in paragraphs[i]:
        paragraphs.insert(i, f"We may share your {rnd.choice(TOPICS)} with partners ({rnd.randrange(10**6)}).")
    else:
        paragraphs[i] = paragraphs[i].replace(" days", f" days, {rnd.randrange(10**6)} at most,", 1)


def generate(repo: Path, commits: int, documents: int) -> None:
    rnd = random.Random(42)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    texts = {d: first_text(rnd, d) for d in range(documents)}
    start = 1_500_000_000
    chunks = []
    for n in range(commits):
        d = n if n < documents else rnd.randrange(documents)  # every document first, then edits
        if n >= documents:
            edit(rnd, texts[d])
        content = ("\n\n".join(texts[d]) + "\n").encode()
        path = f"Service {d:04d}/{TYPES[d % len(TYPES)]}.md"
        message = f"Record new changes of Service {d:04d}".encode()
        chunks += [
            b"commit refs/heads/main\n",
            f"committer OTA-Bot <bot@example.org> {start + n * 3600} +0000\n".encode(),
            f"data {len(message)}\n".encode(), message, b"\n",
            f'M 100644 inline "{path}"\n'.encode(),
            f"data {len(content)}\n".encode(), content, b"\n",
        ]
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=b"".join(chunks), check=True)
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "main"], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
        repo, archive = Path(tmp) / "versions", Archive(Path(tmp) / "snapshots")
        started = time.perf_counter()
        generate(repo, args.commits, args.documents)
        print(f"generated {args.commits} commits of {args.documents} documents "
              f"in {time.perf_counter() - started:.1f} s", flush=True)
        for run in ("first", "again"):
            started = time.perf_counter()
            results = ota.import_history(repo, archive, workers=args.workers)
            seconds = time.perf_counter() - started
            added = sum(r.added for r in results)
            seen = sum(r.added + r.already + r.unchanged for r in results)
            print(f"{run}: {added} versions recorded of {seen} read in {seconds:.1f} s = "
                  f"{seen / seconds:.0f} versions/s, {sum(len(r.changes) for r in results)} changes", flush=True)
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"IMPORT commits={args.commits} documents={args.documents} workers={args.workers} "
              f"peak_rss_mb={own:.0f} peak_child_rss_mb={child:.0f}")


if __name__ == "__main__":
    main()
