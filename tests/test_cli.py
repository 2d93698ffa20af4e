"""``python -m cli flow``: the headless twin of the dashboard, run for real on the embedded chain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli.__main__ import build_parser
from cli.flow import CANDIDATES, participant_hyperparameters

REPO_ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "120"}
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.slow
def test_tiny_flow_pays_the_winner_and_prints_every_step(tmp_path):
    summary_path = tmp_path / "not-yet" / "summary.json"  # a missing folder is created
    result = run_cli(
        "flow",
        "--protocol",
        "tiny",
        "--participants",
        "3",
        "--workers",
        "0",
        "--data-dir",
        str(tmp_path / "flow-data"),
        "--summary-json",
        str(summary_path),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    summary = json.loads(summary_path.read_text())
    functions = [t["function"] for t in summary["transactions"]]
    assert functions[0] == "createBounty"
    assert functions.count("commit") == 3 and functions.count("reveal") == 3
    assert {"revealTestData", "postScores", "finalize", "withdraw"} <= set(functions)
    assert all(t["tx_hash"].startswith("0x") and t["gas_used"] > 0 for t in summary["transactions"])
    assert len(summary["scores"]) == 3 and all(isinstance(s, int) for s in summary["scores"].values())
    winner = summary["winner"]
    # the bar is 0.0001 %: the best scored submission wins; ties go to the earliest commit
    best = max(summary["scores"].values())
    assert summary["scores"][winner] == best
    assert summary["balances_after"][winner] > summary["balances_before"][winner]
    for loser in set(summary["scores"]) - {winner}:
        assert summary["balances_after"][loser] < summary["balances_before"][loser]  # only gas spent
    assert "Winner: " + summary["labels"][winner] in output
    for step in ("Owner builds the dataset", "Participants commit", "Owner evaluates", "Anyone finalizes"):
        assert step in output
    # everything it wrote is below the data dir it was given
    assert (tmp_path / "flow-data").is_dir() and any((tmp_path / "flow-data").iterdir())


def test_bad_options_are_refused_in_plain_words(tmp_path):
    too_many = run_cli("flow", "--participants", "9", "--data-dir", str(tmp_path / "a"))
    assert too_many.returncode == 2 and "between 2 and 8" in too_many.stderr
    bad_protocol = run_cli("flow", "--protocol", "huge", "--data-dir", str(tmp_path / "b"))
    assert bad_protocol.returncode == 2 and "invalid choice" in bad_protocol.stderr
    bad_bar = run_cli("flow", "--min-accuracy", "55", "--data-dir", str(tmp_path / "c"))
    assert bad_bar.returncode == 2 and "fraction between 0 and 1" in bad_bar.stderr


def test_a_bad_reward_stops_the_flow_before_anything_is_written(tmp_path):
    for reward, words in (("lots", "as a number"), ("0", "more than 0"), ("-1", "negative")):
        result = run_cli("flow", "--protocol", "tiny", "--reward", reward, "--data-dir", str(tmp_path / "d"))
        assert result.returncode == 2, result.stdout + result.stderr
        assert f"--reward {reward!r}" in result.stderr and words in result.stderr
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "d").exists()


def test_a_summary_path_that_is_a_folder_stops_the_flow_before_it_starts(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    result = run_cli(
        "flow", "--protocol", "tiny", "--summary-json", str(folder), "--data-dir", str(tmp_path / "e")
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "is a folder; give a file name" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "e").exists()


def test_participants_get_distinct_submissions():
    hps = participant_hyperparameters(len(CANDIDATES))
    assert len(set(hps)) == len(CANDIDATES)
    assert participant_hyperparameters(3) == hps[:3]
    args = build_parser().parse_args(["flow"])
    assert (args.participants, args.protocol, args.workers) == (3, "demo", None)


def test_a_chain_held_by_another_program_ends_the_flow_with_a_sentence(tmp_path, monkeypatch):
    """The dashboard holds the embedded chain of a data dir: the flow says so instead of a traceback."""
    import settings as settings_module
    from chain import connect

    data_dir = tmp_path / "held"
    monkeypatch.setenv("HYPERBOUNTY_DATA_DIR", str(data_dir))
    settings_module.get_settings.cache_clear()
    holder = connect(settings_module.get_settings())
    try:
        result = run_cli("flow", "--protocol", "tiny", "--participants", "2", "--data-dir", str(data_dir))
    finally:
        holder.close()
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    assert "✗" in output and "Traceback" not in output
    assert "already open" in output or "read-only" in output


def _forward_bounties(data_dir: Path) -> dict[str, int]:
    """Bounties in ``data_dir``: a forward test revealed by its rule, one revealed with a tampered
    file (row 5 changed), and one with a private test split."""
    from dataclasses import replace

    import storage
    from actions import datasets, session
    from tests.actions import scenario

    try:
        b = scenario.backend()
        assert b.settings.data_dir == data_dir
        honest, tampered = scenario.create_bounty(b), scenario.create_bounty(b)
        params = replace(datasets.default_parameters("tiny"), test_kind="private")
        private = scenario.create_bounty(
            b,
            datasets.build(
                b.settings, datasets.load_candles(b.settings, "bundled", list(params.coins)), params
            ),
        )
        b.chain.advance_time(1201)  # past the reveal deadlines
        scenario.reveal_test_data(b, honest)
        from actions.evaluation import build_forward_test_file

        lines = build_forward_test_file(b, tampered).splitlines(keepends=True)
        lines[5] = lines[5].replace(b",", b",1", 1)
        cid = b.store.add(b"".join(lines))
        b.client.reveal_test_data(b.dev_senders()[0], tampered, test_data_digest=storage.cid_to_digest(cid))
        return {"honest": honest, "tampered": tampered, "private": private}
    finally:
        session.close_all()  # the CLI opens the embedded chain of this data dir itself


def test_verify_test_data_exit_codes(isolated_data_dir):
    ids = _forward_bounties(isolated_data_dir)
    where = ("--data-dir", str(isolated_data_dir))

    matches = run_cli("verify-test-data", "--bounty", str(ids["honest"]), *where, timeout=300)
    assert matches.returncode == 0, matches.stdout + matches.stderr
    assert f"Bounty {ids['honest']}: matches" in matches.stdout

    differs = run_cli("verify-test-data", "--bounty", str(ids["tampered"]), *where, timeout=300)
    assert differs.returncode == 1, differs.stdout + differs.stderr
    assert "does NOT match" in differs.stdout and "First difference at row 5 (time " in differs.stdout

    private = run_cli("verify-test-data", "--bounty", str(ids["private"]), *where, timeout=300)
    assert private.returncode == 2 and "no public rule" in private.stderr
    unknown = run_cli("verify-test-data", "--bounty", "99", *where, timeout=300)
    assert unknown.returncode == 2 and "There is no bounty #99" in unknown.stderr
    for result in (private, unknown):
        assert "Traceback" not in result.stderr and result.stdout == ""


def test_verify_test_data_refuses_bad_arguments_before_opening_anything(tmp_path):
    from cli.__main__ import main

    assert main(["verify-test-data", "--bounty", "0", "--data-dir", str(tmp_path / "x")]) == 2
    assert not (tmp_path / "x").exists()
    missing = run_cli("verify-test-data")
    assert missing.returncode == 2 and "--bounty" in missing.stderr


def test_dispute_commands_challenge_rule_and_show_with_exit_codes(isolated_data_dir, capsys):
    """``dispute``: 0 done, 1 refused with the contract's sentence, 2 bad arguments."""
    from actions import session
    from cli.__main__ import main
    from tests.actions import scenario
    from tests.actions.test_disputes import arbitrated_bounty

    try:
        bounty_id = arbitrated_bounty(scenario.backend())
    finally:
        session.close_all()  # the CLI opens the embedded chain of this data dir itself
    bounty = str(bounty_id)

    def dispute(*args: str) -> tuple[int, str]:
        code = main(["dispute", *args])
        out = capsys.readouterr()
        assert "Traceback" not in out.err
        return code, out.out + out.err

    challenge = ("challenge", "--bounty", bounty, "--participant", "Participant 2", "--claimed", "512000")
    code, text = dispute(*challenge, "--as", "Participant 1")
    assert code == 0 and "dispute id: " in text, text
    dispute_id = text.split("dispute id: ")[1].split()[0]
    code, text = dispute(*challenge, "--as", "Participant 3")  # never revealed on this bounty
    assert code == 1 and "✗" in text, text
    assert dispute("rule", "--dispute", dispute_id, "--ruling", "1", "--as", "Participant 1")[0] == 1
    code, text = dispute("rule", "--dispute", dispute_id, "--ruling", "1")  # as the Arbiter
    assert code == 0 and "the challenger is right" in text, text
    assert dispute("rule", "--dispute", dispute_id, "--ruling", "2")[0] == 1, "ruled once"
    assert dispute(*challenge, "--as", "Nobody")[0] == 2
    assert (
        dispute(
            "challenge",
            "--bounty",
            bounty,
            "--participant",
            "Participant 2",
            "--claimed",
            "2000000",
            "--as",
            "Participant 1",
        )[0]
        == 2
    )
    assert dispute("show", "--bounty", "0")[0] == 2

    shown = run_cli("dispute", "show", "--bounty", bounty, "--data-dir", str(isolated_data_dir), timeout=300)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert f"Dispute {dispute_id}: Participant 1 challenges Participant 2" in shown.stdout
    assert "ruling 1" in shown.stdout and "void" in shown.stdout
    missing = run_cli("dispute", "rule", "--dispute", "1")
    assert missing.returncode == 2 and "--ruling" in missing.stderr


def test_reset_chain_keeps_salts_and_keys_and_refuses_while_the_chain_is_open(tmp_path, monkeypatch):
    import settings as settings_module
    from chain import connect

    data_dir = tmp_path / "data"
    monkeypatch.setenv("HYPERBOUNTY_DATA_DIR", str(data_dir))
    settings_module.get_settings.cache_clear()
    kept = ["secrets/1/a.json", "secrets-backup/1/a.json", "keystore/k.json", "ipfs/blocks/b"]
    gone = ["index/1-0x.json", "cache/preprocessed/p.npz", "compile-cache/c.json", "chain/anvil/state.json"]
    for name in kept + gone:
        (data_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (data_dir / name).write_text("x")
    # the dev chains' BountyBoard addresses are forgotten, another network's is kept
    deployments = {"31337": {"a": "anvil"}, "131277322940537": {"a": "py-evm"}, "1": {"a": "main"}}
    (data_dir / "chain" / "deployments.json").write_text(json.dumps(deployments))
    holder = connect(settings_module.get_settings())
    try:
        refused = run_cli("reset-chain", "--data-dir", str(data_dir), timeout=120)
    finally:
        holder.close()
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "is open in process" in refused.stderr and "Nothing was removed" in refused.stderr
    assert all((data_dir / name).exists() for name in kept + gone)

    done = run_cli("reset-chain", "--data-dir", str(data_dir), timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert all((data_dir / name).exists() for name in kept)
    assert not any((data_dir / name).exists() for name in gone)
    assert not (data_dir / "chain" / "embedded").exists()
    assert json.loads((data_dir / "chain" / "deployments.json").read_text()) == {"1": {"a": "main"}}
    assert "Kept secrets/, secrets-backup/, keystore/" in done.stdout and "Traceback" not in done.stderr


def test_per_role_commands_refuse_in_one_sentence_and_leave_nothing_half_written(tmp_path):
    """The shared preamble (cli/common.py) on the embedded chain: --json alone on stdout, no --yes and
    no terminal refused, bad names exit 2, refusals leave no file behind."""
    data_dir = tmp_path / "me"
    where = ("--data-dir", str(data_dir))
    short, good = tmp_path / "short", tmp_path / "good"
    short.write_text("short\n")
    good.write_text("a long enough password\n")

    def cli(*args: str, password: Path = good) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "COLUMNS": "120", "HYPERBOUNTY_PASSWORD_FILE": str(password)}
        return subprocess.run(
            [sys.executable, "-m", "cli", *args, *where],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def refused(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
        assert result.returncode == code, result.stdout + result.stderr
        assert result.stdout == "" and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        return result.stderr

    assert "at least 8 characters" in refused(cli("account", "new", password=short))
    assert not list((data_dir / "keystore").glob("*.json"))
    made = cli("account", "new", "--label", "me", "--json")
    assert made.returncode == 0, made.stderr
    address = json.loads(made.stdout)["address"]  # nothing but JSON on stdout

    assert "--yes" in refused(cli("account", "fund", "me", "--amount", "1"))
    funded = cli("account", "fund", "me", "--amount", "1", "--yes", "--json")
    assert funded.returncode == 0, funded.stderr
    assert json.loads(funded.stdout)["balance_wei"] == 10**18
    listed = json.loads(cli("account", "list", "--json").stdout)["accounts"]
    assert {"label": "me", "address": address, "kind": "keystore", "balance_wei": 10**18} in listed

    assert "no credit" in refused(cli("withdraw", "--from", "me", "--yes"))
    assert "No account is called 'Nobody'" in refused(cli("withdraw", "--from", "Nobody", "--yes"), code=2)
    assert "There is no bounty #7" in refused(cli("bounty", "show", "7"))
    board = json.loads(cli("board", "info", "--json").stdout)["board"]
    assert board["is_this_release"] and board["address"].startswith("0x")
