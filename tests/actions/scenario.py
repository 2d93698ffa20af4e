"""Building blocks for tests that need a bounty in some state, through the real actions layer."""

from __future__ import annotations

from typing import Any

from actions import bounties, datasets, evaluation, submissions
from actions.session import Backend, get_backend
from ml.runner import EvaluationReport
from protocol import Hyperparameters

HP_A = Hyperparameters(
    lstm_layers=1, lstm_units=8, dense_layers=0, dropout_permille=0, learning_rate_micro=5000
)
HP_B = Hyperparameters(
    lstm_layers=1, lstm_units=16, dense_layers=1, dropout_permille=100, learning_rate_micro=2000
)
REWARD = 10**18
BOND = 10**16


def backend() -> Backend:
    return get_backend()


def tiny_dataset(test_kind: str = "forward") -> datasets.BuiltDataset:
    """The tiny task on the bundled candles: a forward-test rehearsal, or (``"private"``) with
    the test split kept by the owner and committed on chain."""
    from dataclasses import replace

    params = replace(datasets.default_parameters("tiny"), test_kind=test_kind)
    settings = backend().settings
    return datasets.build(settings, datasets.load_candles(settings, "bundled", list(params.coins)), params)


def terms(**changes: Any) -> bounties.BountyTerms:
    values = {
        "reward": REWARD,
        "min_accuracy_ppm": 300_000,
        "submission_s": 600,
        "reveal_s": 600,
        "evaluation_s": 3600,
        "commit_bond": BOND,
    }
    values.update(changes)
    return bounties.BountyTerms(**values)


def create_bounty(b: Backend, built: datasets.BuiltDataset | None = None, **changes: Any) -> int:
    built = built or tiny_dataset()
    bounty_id, _ = bounties.create_bounty(b, b.dev_senders()[0], built, built.manifest, terms(**changes))
    return bounty_id


def commit_two(b: Backend, bounty_id: int) -> None:
    senders = b.dev_senders()
    for sender, hp in ((senders[1], HP_A), (senders[2], HP_B)):
        outcome = submissions.plan_commit(b, sender, bounty_id, hp).execute()
        assert outcome.ok, outcome.error


def reveal_two(b: Backend, bounty_id: int) -> None:
    b.chain.advance_time(601)
    for sender in b.dev_senders()[1:3]:
        outcome = submissions.plan_reveal(b, sender, bounty_id).execute()
        assert outcome.ok, outcome.error


def reveal_test_data(b: Backend, bounty_id: int) -> None:
    outcome = evaluation.plan_reveal_test_data(b, b.dev_senders()[0], bounty_id).execute()
    assert outcome.ok, outcome.error


def evaluate(b: Backend, bounty_id: int) -> EvaluationReport:
    evaluation.start_evaluation(b, bounty_id, workers=0)
    view = b.jobs.wait(evaluation.evaluation_key(bounty_id), timeout=600)
    assert view.state == "done", view.error
    return view.result


def scored_bounty(b: Backend) -> tuple[int, EvaluationReport]:
    """A bounty with two revealed submissions, the test data revealed, evaluated and scores posted."""
    bounty_id = create_bounty(b)
    commit_two(b, bounty_id)
    reveal_two(b, bounty_id)
    b.chain.advance_time(601)  # the test data is revealed, and scores posted, in the evaluation window
    reveal_test_data(b, bounty_id)
    report = evaluate(b, bounty_id)
    outcome = evaluation.plan_post_scores(b, b.dev_senders()[0], bounty_id, report).execute()
    assert outcome.ok, outcome.error
    return bounty_id, report
