"""The evaluation runner: parallel equals sequential, failures isolated, report, verification."""

from __future__ import annotations

import json
import math

import pytest

import storage
from ml.runner import EvaluationReport, Submission, evaluate_submissions, verify_submission
from protocol import Hyperparameters
from tests.ml.conftest import data_dir
from tests.ml.crashing_trainer import CRASH_UNITS

SMALL = Hyperparameters(
    lstm_layers=1, lstm_units=8, dense_layers=1, dropout_permille=100, learning_rate_micro=5000
)
OTHER = Hyperparameters(lstm_layers=2, lstm_units=6, dense_layers=0, loss=1, learning_rate_micro=3000)
ALICE, BOB, CAROL, DAVE, ERIN = (f"0x{c * 40}" for c in "abcde")


@pytest.fixture(scope="module")
def parallel_run(tiny_task, tmp_path_factory):
    """One parallel run with a tie, a bad submission and a worker that dies, plus a sequential run."""
    manifest, files = tiny_task
    submissions = [
        Submission(ALICE, SMALL),
        Submission(BOB, SMALL),  # same hyperparameters: the same score, a tie
        Submission(CAROL, (1, 8, 0, 0, 0, 0, 0)),  # learning rate 0: refused inside its worker
        Submission(DAVE, Hyperparameters(lstm_layers=1, lstm_units=CRASH_UNITS)),  # kills its worker
        Submission(ERIN, OTHER),
    ]
    events = []
    with data_dir(tmp_path_factory.mktemp("runner-data")):
        parallel = evaluate_submissions(
            manifest,
            files,
            submissions,
            workers=2,
            progress=events.append,
            trainer="tests.ml.crashing_trainer:train",
        )
        keep = [submissions[i] for i in (0, 1, 2, 4)]
        sequential = evaluate_submissions(manifest, files, keep, workers=0)
    return parallel, sequential, events


@pytest.mark.slow
def test_parallel_results_equal_a_sequential_run(parallel_run):
    parallel, sequential, _ = parallel_run
    by_who = {r.participant: r for r in parallel.submissions}
    for result in sequential.submissions:
        twin = by_who[result.participant]
        assert (twin.status, twin.score_ppm) == (result.status, result.score_ppm)
        if result.status == "scored":
            assert twin.training["curves"] == result.training["curves"]
    # two workers trained: which one got the scored submissions depends on timing (a warm compile cache
    # lets one worker finish several while the other meets the failing ones), so count every training
    assert len({r.worker_pid for r in parallel.submissions if r.worker_pid}) >= 2


@pytest.mark.slow
def test_one_failing_submission_does_not_lose_the_others(parallel_run):
    parallel, _, _ = parallel_run
    status = {r.participant: r.status for r in parallel.submissions}
    assert status == {ALICE: "scored", BOB: "scored", CAROL: "failed", DAVE: "failed", ERIN: "scored"}
    carol, dave = parallel.submissions[2], parallel.submissions[3]
    assert "learning_rate_micro = 0 is out of range" in carol.error
    assert "process died" in dave.error
    assert "scores a failed training 0" in carol.error and carol.score_ppm == 0
    assert [r.participant for r in parallel.failed] == [CAROL, DAVE]


@pytest.mark.slow
def test_scores_are_found_by_participant_even_on_a_tie(parallel_run):
    """Old mistake: the winner was looked up by its accuracy value, which is ambiguous on ties."""
    parallel, _, _ = parallel_run
    participants, scores = parallel.scores_for_chain()
    assert participants == [ALICE, BOB, CAROL, DAVE, ERIN]
    assert scores[0] == scores[1]  # a tie, and still each participant gets its own entry
    assert parallel.score_of(BOB.upper().replace("0X", "0x")) == scores[1]
    assert parallel.score_of(ERIN) == scores[4]
    # a failed training is posted as 0 (the protocol's rule), so it cannot force a stall
    assert parallel.score_of(CAROL) == 0 and scores[2] == scores[3] == 0
    with pytest.raises(KeyError):
        parallel.score_of("0x" + "f" * 40)


@pytest.mark.slow
def test_progress_is_reported_per_submission(parallel_run):
    _, _, events = parallel_run
    for index in (0, 1, 4):
        mine = [e for e in events if e.index == index]
        assert mine[0].state == "queued"
        assert mine[-1].state == "scored" and mine[-1].fraction == 1.0
        training = [e.fraction for e in mine if e.state == "training"]
        assert training == sorted(training) and training[-1] == 1.0
        assert any(e.training is not None and e.training.epoch_done for e in mine)
    assert [e.state for e in events if e.index == 3][-1] == "failed"


@pytest.mark.slow
def test_report_is_canonical_json_with_versions_and_curves(parallel_run, tiny_task):
    parallel, _, _ = parallel_run
    manifest, _files = tiny_task
    raw = parallel.to_bytes()
    assert raw == parallel.to_bytes()
    doc = json.loads(raw)
    assert doc["format"] == "hyperbounty-evaluation-report/2"
    assert doc["manifest_cid"] == manifest.cid()
    assert doc["environment"]["keras"] and doc["environment"]["backend"] == "jax"
    first = doc["submissions"][0]
    assert first["hyperparameters"] == SMALL.to_dict()
    assert set(first["training"]["curves"]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert first["training"]["seconds"]["fit"] > 0
    protocol = manifest.evaluation
    cells = first["cells"]
    assert len(cells) == protocol.seeds * protocol.eras == doc["runner"]["cells"] / 5
    assert {(c["seed"], c["era"]) for c in cells} == {
        (seed, era) for seed in doc["seeds"]["values"] for era in range(protocol.eras)
    }
    low, high = first["ci95_ppm"]
    assert low <= first["score_ppm"] <= high and first["stderr_ppm"] > 0
    assert [b["name"] for b in doc["baselines"]] == ["majority", "persistence", "logistic"]
    assert doc["leader"] in {ALICE, BOB, ERIN}
    assert len(parallel.digest()) == 32 and parallel.cid().startswith("Qm")
    assert isinstance(parallel, EvaluationReport)


@pytest.mark.slow
def test_a_real_report_reads_back_from_its_json(parallel_run):
    parallel, _, _ = parallel_run
    again = EvaluationReport.from_dict(json.loads(parallel.to_bytes()))
    assert again.to_dict() == parallel.to_dict() and again.cid() == parallel.cid()


@pytest.mark.slow
def test_verify_reproduces_a_posted_score_and_catches_a_wrong_one(parallel_run, tiny_task):
    parallel, _, _ = parallel_run
    manifest, files = tiny_task
    posted = parallel.score_of(ERIN)
    good = verify_submission(manifest, files, Submission(ERIN, OTHER), posted, in_process=True)
    assert good.reproduced and good.recomputed_score_ppm == posted
    assert "reproduced" in good.summary() and good.environment_note == ""
    bad = verify_submission(manifest, files, Submission(ERIN, OTHER), posted + 1, in_process=True)
    assert not bad.reproduced and "NOT reproduced" in bad.summary()


def test_scoring_needs_the_test_split(tiny_task):
    manifest, files = tiny_task
    with pytest.raises(ValueError, match="test split"):
        evaluate_submissions(
            manifest, {"train": files["train"], "validation": files["validation"]}, [Submission(ALICE, SMALL)]
        )


@pytest.mark.slow
def test_a_swapped_test_file_stops_the_run_and_its_workers(tiny_task):
    import multiprocessing

    from ml.data import DataError

    manifest, files = tiny_task
    wrong = storage.ipfs_cid(files["validation"])
    before = set(multiprocessing.active_children())  # other tests' kept job workers may live on
    with pytest.raises(DataError, match="test file has CID"):
        evaluate_submissions(
            manifest,
            files,
            [Submission(ALICE, SMALL), Submission(BOB, SMALL)],
            workers=2,
            expected_test_cid=wrong,
        )
    assert set(multiprocessing.active_children()) - before == set()


def diverging_train(manifest, prepared, hp, progress=None, seed=None, xla_cache_dir=None):
    """The real training, whose curves then read as a diverging model's do: NaN and infinity.

    Its predictions stay finite, so it is scored on them like any other training.
    """
    from ml.train import train_submission

    result = train_submission(manifest, prepared, hp, progress, seed=seed, xla_cache_dir=xla_cache_dir)
    loss, val_loss = result.curves["loss"], result.curves["val_loss"]
    result.curves = {**result.curves, "loss": [math.nan, *loss[1:]], "val_loss": [math.inf] * len(val_loss)}
    return result


@pytest.mark.slow
def test_a_diverging_curve_is_stored_as_null_and_the_report_serialises(tiny_task, tmp_path):
    manifest, files = tiny_task
    with data_dir(tmp_path):
        real = evaluate_submissions(manifest, files, [Submission(ALICE, SMALL)], workers=0)
        stub = "tests.ml.test_runner:diverging_train"
        diverging = evaluate_submissions(manifest, files, [Submission(ALICE, SMALL)], workers=0, trainer=stub)
    doc = json.loads(diverging.to_bytes())  # canonical_json, allow_nan=False
    result = doc["submissions"][0]
    assert result["status"] == "scored"
    assert result["score_ppm"] == real.score_of(ALICE) > 0, "the score is what its predictions got"
    curves = result["training"]["curves"]
    real_loss = real.submissions[0].training["curves"]["loss"]
    assert curves["loss"][0] is None and curves["loss"][1:] == real_loss[1:]
    assert curves["val_loss"] and all(point is None for point in curves["val_loss"])
    assert all(cell["curves"]["loss"][0] is None for cell in result["cells"])
    assert EvaluationReport.from_dict(doc).cid() == diverging.cid()
