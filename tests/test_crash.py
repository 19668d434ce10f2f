"""Killing `tracker check` at any moment never leaves a broken archive."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner
from conftest import page

from tracker.archive import Archive
from tracker.cli import cli
from tracker.verify import verify

TRACKER = Path(sys.executable).with_name("tracker")
SOURCES = 6
RUNS = 50


def test_sigkill_at_random_moments_leaves_a_consistent_archive(server, workspace):
    generation = [0]

    def policy(handler):
        n = int(handler.path.strip("/"))
        days = [generation[0] + 30] + list(range(1, 20))  # one pledge changes per generation
        body = page(*[f"We keep record {k} of service {n} for {d} days." for k, d in enumerate(days)]).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    runner = CliRunner()
    for n in range(SOURCES):
        server.serve(f"/{n}", handler=policy)
        runner.invoke(cli, ["add", server.url(f"/{n}"), "--service", f"svc-{n}", "--document", "privacy",
                            "--lang", "en"])
    archive = Archive(workspace / "snapshots")
    subprocess.run([str(TRACKER), "check"], check=True, capture_output=True)
    durations = []  # of whole runs that record a new version of every document: the median
    for run in (1, 2, 3):  # one slow run (a busy machine) would make most kills come too late
        generation[0] = run
        started = time.monotonic()
        subprocess.run([str(TRACKER), "check"], check=True, capture_output=True)
        durations.append(time.monotonic() - started)
    whole_run = sorted(durations)[1]
    rnd = random.Random(7)
    killed = 0
    for run in range(4, RUNS + 4):
        generation[0] = run
        process = subprocess.Popen([str(TRACKER), "check"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rnd.uniform(0.3, 1.3) * whole_run)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            killed += 1
        else:  # runs got faster than measured (the machine is less busy now): aim earlier
            whole_run *= 0.8
        process.wait()
        report = verify(archive)
        assert report.problems == (), f"run {run}: {report.problems}"
    assert killed >= RUNS // 4, "too few runs were interrupted to prove anything"
    assert sum(len(archive.versions(f"svc-{n}", "privacy")) for n in range(SOURCES)) > 3 * SOURCES
    assert not list((workspace / "snapshots").rglob("*.tmp"))
    final = runner.invoke(cli, ["verify"])
    assert final.exit_code == 0 and "0 problem(s)" in final.output


def test_verify_says_exactly_what_is_wrong(server, workspace):
    server.serve("/p", page("We never sell your personal data."))
    runner = CliRunner()
    runner.invoke(cli, ["add", server.url("/p"), "--service", "acme", "--document", "privacy"])
    runner.invoke(cli, ["check"])
    [version] = Archive(workspace / "snapshots").versions("acme", "privacy")
    text = workspace / "snapshots" / "acme" / "privacy" / f"{version.id}.md"
    text.write_text("We sell your personal data.\n")
    raw = next((workspace / "snapshots" / "_raw").rglob("*.html"))
    raw.unlink()
    result = runner.invoke(cli, ["verify"])
    assert result.exit_code == 1
    assert f"acme/privacy {version.id}: text does not match its hash" in result.output
    assert "raw file" in result.output and "is missing" in result.output


def test_reindex_rebuilds_the_index_from_the_files_and_list_reads_it(server, workspace):
    server.serve("/p", page("We never sell your personal data."))
    runner = CliRunner()
    runner.invoke(cli, ["add", server.url("/p"), "--service", "acme", "--document", "privacy"])
    runner.invoke(cli, ["check"])
    server.serve("/p", page("We may sell your personal data."))
    runner.invoke(cli, ["check"])
    (workspace / "snapshots" / "_index.sqlite").unlink()
    assert "0 versions" in runner.invoke(cli, ["list"]).output
    result = runner.invoke(cli, ["reindex"])
    assert result.exit_code == 0 and "indexed 2 versions of 1 documents" in result.output
    assert "2 versions" in runner.invoke(cli, ["list"]).output
