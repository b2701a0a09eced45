"""Several workers on one batch folder: claims, the merged batch record, stale claims taken over."""

import json
import os
import re
import subprocess
import sys
import threading
import time

import pytest

import nst_cli
from nst_cli import batch as nst_batch
from nst_plumbing.config import MEDIA_DIR, REPO_ROOT

CONTENTS = [MEDIA_DIR / "crab.jpg", MEDIA_DIR / "chelsea.jpg"]
STYLES = [MEDIA_DIR / "great_wave.jpg", MEDIA_DIR / "starry_night.jpg", MEDIA_DIR / "kandinsky_composition_viii.jpg"]
PAIRS = sorted(f"{c.stem}__{s.stem}.png" for c in CONTENTS for s in STYLES)


def six_pairs(out, *extra):
    return ["-c", *map(str, CONTENTS), "-s", *map(str, STYLES), "-o", str(out), "--max-dim", "48",
            "--iterations", "3", *extra]


def test_a_claim_is_exclusive_refreshed_and_released(tmp_path):
    output = tmp_path / "a__b.png"
    first = nst_batch.try_claim(output, stale_after=60)
    assert first is not None and nst_batch.claim_path(output).exists()
    assert nst_batch.try_claim(output, stale_after=60) is None  # held, and fresh
    with first:
        before = nst_batch.claim_path(output).stat().st_mtime_ns
        time.sleep(0.02)
        assert first.refresh() and nst_batch.claim_path(output).stat().st_mtime_ns > before
    assert not nst_batch.claim_path(output).exists()
    assert nst_batch.leftovers(tmp_path) == []


def test_a_stale_claim_is_taken_over_once(tmp_path):
    output = tmp_path / "a__b.png"
    dead = nst_batch.try_claim(output, stale_after=60)  # a worker that is then killed: never released
    old = time.time() - 120
    os.utime(dead.path, (old, old))
    winners = [claim for claim in (nst_batch.try_claim(output, 60) for _ in range(3)) if claim is not None]
    assert len(winners) == 1 and winners[0].is_ours() and not dead.is_ours()
    winners[0].release()
    assert nst_batch.leftovers(tmp_path) == []


def test_the_heartbeat_keeps_a_claim_fresh(tmp_path):
    output = tmp_path / "a__b.png"
    with nst_batch.try_claim(output, stale_after=1.0):
        time.sleep(2.5)  # 2.5 times the stale timeout, refreshed every 0.25 s
        assert nst_batch.try_claim(output, stale_after=1.0) is None


def test_the_batch_record_merges_concurrent_updates(tmp_path):
    record = tmp_path / "batch.json"

    def worker(number):
        for pair in range(20):
            nst_batch.update_record(record, f"w{number}_p{pair}.png", {"worker": number})

    threads = [threading.Thread(target=worker, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(json.loads(record.read_text())["pairs"]) == 120
    assert nst_batch.leftovers(tmp_path) == []


def test_claim_timeout_comes_from_the_argument_or_the_environment(monkeypatch):
    monkeypatch.delenv("NST_CLAIM_STALE_SECONDS", raising=False)
    assert nst_batch.claim_timeout() == 120.0 and nst_batch.claim_timeout(5) == 5.0
    monkeypatch.setenv("NST_CLAIM_STALE_SECONDS", "30")
    assert nst_batch.claim_timeout() == 30.0
    monkeypatch.setenv("NST_CLAIM_STALE_SECONDS", "soon")
    with pytest.raises(ValueError, match=r"\$NST_CLAIM_STALE_SECONDS must be a number of seconds"):
        nst_batch.claim_timeout()


def test_two_workers_paint_each_pair_exactly_once(tmp_path):
    out = tmp_path / "gallery"
    command = [sys.executable, "-m", "nst_cli", *six_pairs(out)]
    env = dict(os.environ, NST_PROFILE="test")
    workers = [subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for _ in range(2)]
    outputs = [worker.communicate(timeout=600) for worker in workers]
    for worker, (stdout, stderr) in zip(workers, outputs):
        assert worker.returncode == 0, stderr[-3000:]

    saved = [re.findall(r"^Saved \S+/(\S+\.png) ", stdout, re.MULTILINE) for stdout, _ in outputs]
    assert sorted(saved[0] + saved[1]) == PAIRS  # every pair painted, none twice
    record = json.loads((out / "batch.json").read_text())["pairs"]
    assert sorted(record) == PAIRS
    for number, (stdout, _) in enumerate(outputs):
        pid = workers[number].pid
        assert {name for name, entry in record.items() if entry["worker"].endswith(f":{pid}")} == set(saved[number])
        last = stdout.strip().splitlines()[-1]
        assert last.startswith("Batch done: 6/6 pairs")
        assert f"painted {len(saved[number])}" in last and f"other workers {6 - len(saved[number])};" in last
    assert sorted(p.name for p in out.glob("*__*.png")) == PAIRS and (out / "contact_sheet.png").exists()
    assert nst_batch.leftovers(out) == [] and not list(out.glob(".*"))  # no partial, claim or lock files


def test_a_worker_takes_over_a_claim_left_by_a_killed_worker(tmp_path, capsys):
    out = tmp_path / "gallery"
    out.mkdir()
    args = ["-c", str(CONTENTS[0]), "-s", *map(str, STYLES[:2]), "-o", str(out), "--max-dim", "48",
            "--iterations", "2"]
    # A claim a killed worker left long ago, and one whose worker is alive until we kill it.
    stale = nst_batch.try_claim(out / "crab__starry_night.png", 60)
    old = time.time() - 3600
    os.utime(stale.path, (old, old))
    fresh = nst_batch.try_claim(out / "crab__great_wave.png", 3)

    def live_until_the_other_pair_is_done():
        # Its worker's heartbeat, every 0.25 s, while the worker lives; then the worker is killed:
        # no more refreshes, and the claim file is left behind.
        while not (out / "crab__starry_night.png").exists():
            fresh.refresh()
            time.sleep(0.25)

    heartbeat = threading.Thread(target=live_until_the_other_pair_is_done, daemon=True)
    heartbeat.start()
    assert nst_cli.main([*args, "--claim-timeout", "3"]) == 0
    printed = capsys.readouterr().out
    assert "Waiting for 1 pair(s) other workers are painting" in printed  # the live one, until it went stale
    assert "Batch done: 2/2 pairs" in printed and "painted 2" in printed and "other workers 0;" in printed
    heartbeat.join(timeout=5)
    assert not heartbeat.is_alive()
    assert not stale.is_ours() and not fresh.is_ours()
    assert nst_batch.leftovers(out) == []
