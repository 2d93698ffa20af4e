"""The participant's search: the space is the contract's, trials run on the executor, a killed search
resumes without repeating its finished trials, and nothing needs the hidden test file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ml import search
from ml.executor import InlineExecutor
from protocol import ACTIVATIONS, LOSSES, RANGES, Hyperparameters
from settings import REPO_ROOT
from tests.tooling import wait_until

SMALL_MODELS = {"lstm_layers": (1, 1), "lstm_units": (4, 8), "dense_layers": (0, 1)}  # trains in seconds


def public(files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: files[name] for name in ("train", "validation")}


def test_the_space_is_the_contracts_ranges_with_log_scales_and_categories():
    from optuna.distributions import CategoricalDistribution, IntDistribution

    space = search.search_space()
    assert set(space) == set(RANGES)
    assert space["learning_rate_micro"].log and space["lstm_units"].log
    assert (space["learning_rate_micro"].low, space["learning_rate_micro"].high) == RANGES[
        "learning_rate_micro"
    ][:2]
    assert isinstance(space["activation"], CategoricalDistribution)
    assert list(space["activation"].choices) == list(ACTIVATIONS)
    assert list(space["loss"].choices) == list(LOSSES)
    assert isinstance(space["dropout_permille"], IntDistribution)
    narrowed = search.search_space({"lstm_units": (1, 10_000)})["lstm_units"]
    assert (narrowed.low, narrowed.high) == RANGES["lstm_units"][:2], "never beyond the contract"
    hp = search.hyperparameters_from_params(
        {**Hyperparameters().to_dict(), "activation": "tanh", "loss": "categorical_hinge"}
    )
    assert hp.activation == ACTIVATIONS.index("tanh") and hp.loss == LOSSES.index("categorical_hinge")


@pytest.mark.slow
def test_a_search_on_the_public_files_finds_a_best_trial(tiny_task, tmp_path):
    manifest, files = tiny_task
    seen = []
    with InlineExecutor() as executor:
        result = search.run_search(
            manifest,
            public(files),
            tmp_path / "study.sqlite3",
            trials=3,
            executor=executor,
            seed=1,
            limits=SMALL_MODELS,
            progress=seen.append,
        )
    assert result.finished == result.ran == 3
    assert 0 < result.best_value_ppm <= 1_000_000
    Hyperparameters.from_dict(result.best_hyperparameters)  # within the contract's ranges
    assert [row["trial"] for row in result.trials] == [0, 1, 2]
    assert seen[-1].finished == 3 and seen[-1].best_value_ppm == result.best_value_ppm


SEARCH_SCRIPT = """
import sys
from pathlib import Path
from ml import data, preprocess, search
from tests.ml.test_search import SMALL_MODELS

if __name__ == "__main__":
    frames = data.load_bundled(["BTC", "LTC"])
    manifest, files = preprocess.build_dataset(frames, preprocess.tiny_parameters())
    public = {name: files[name] for name in ("train", "validation")}
    search.run_search(manifest, public, Path(sys.argv[1]), study_name="s", trials=int(sys.argv[2]),
                      parallel=2, seed=3, limits=SMALL_MODELS)
"""


def _finished(path: Path) -> list:
    if not path.is_file():
        return []
    try:
        return search.finished_trials(search.open_study(path, "s"))
    except Exception:  # the file is being created by the other process
        return []


@pytest.mark.slow
def test_a_killed_search_resumes_without_repeating_finished_trials(tmp_path):
    """A search in its own process (two pool workers) is killed with SIGKILL after two trials."""
    script = tmp_path / "search_app.py"
    script.write_text(textwrap.dedent(SEARCH_SCRIPT))
    path = tmp_path / "study.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    app = subprocess.Popen(
        [sys.executable, str(script), str(path), "6"], cwd=REPO_ROOT, env=env, stderr=subprocess.PIPE
    )
    try:
        assert wait_until(lambda: len(_finished(path)) >= 2 or app.poll() is not None, timeout=600)
        assert app.poll() is None, app.communicate()[1].decode()[-3000:]
        os.kill(app.pid, signal.SIGKILL)
        app.wait(timeout=30)
    finally:
        if app.poll() is None:
            app.kill()
    before = {t.number: (t.params, t.value) for t in _finished(path)}
    assert 2 <= len(before) < 6
    time.sleep(1)
    again = subprocess.run(
        [sys.executable, str(script), str(path), "6"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        timeout=900,
    )
    assert again.returncode == 0, again.stderr.decode()[-3000:]
    after = _finished(path)
    assert len(after) == 6
    assert {t.number: (t.params, t.value) for t in after if t.number in before} == before
    new = [t for t in after if t.number not in before]
    assert len(new) == 6 - len(before), "only the missing trials ran"
    drawn_before = [params for params, _ in before.values()]
    assert not [t for t in new if "rerun_of" not in t.user_attrs and t.params in drawn_before]
    # the trials that were running when the process died were run again from their parameters
    study = search.open_study(path, "s")
    reruns = [t for t in study.trials if "rerun_of" in t.user_attrs]
    assert all(t.params for t in reruns)


@pytest.mark.slow
def test_the_cli_searches_a_bounty_and_prints_the_best_as_a_commit_command(capsys):
    import json

    from actions import session
    from actions.session import get_backend
    from cli.__main__ import main
    from tests.actions import scenario

    b = get_backend()
    bounty_id = scenario.create_bounty(b)
    try:
        argv = [
            "submit",
            "search",
            "--bounty",
            str(bounty_id),
            "--trials",
            "2",
            "--parallel",
            "1",
            "--seed",
            "0",
        ]
        assert main(argv) == 0, capsys.readouterr().err
        out = capsys.readouterr().out
        assert f"submit commit {bounty_id} --lstm-layers" in out and "best validation accuracy" in out
        assert main([*argv, "--json"]) == 0  # run again: the study already holds its 2 trials
        data = json.loads(capsys.readouterr().out)
    finally:
        session.close_all()
    assert data["finished"] == 2 and data["ran"] == 0
    assert Hyperparameters.from_dict(data["best"]) and len(data["trials"]) == 2
