"""Submit warns before committing a model over the manifest's compute budget (it would be scored 0)."""

from __future__ import annotations

from actions import submissions
from ml.model import trainable_parameters
from protocol import Hyperparameters
from tests.actions import scenario

HUGE = Hyperparameters(lstm_layers=4, lstm_units=512, dense_layers=2)


def test_a_model_over_the_budget_gets_a_sentence_with_both_numbers():
    manifest = scenario.tiny_dataset().manifest
    budget = manifest.evaluation.max_parameters
    assert budget is not None
    size = trainable_parameters(HUGE, manifest.sequence_length, len(manifest.feature_names))
    assert size > budget
    warning = submissions.compute_budget_warning(manifest, HUGE)
    assert warning is not None and warning.startswith("Would be scored 0:")
    assert f"{size:,}" in warning and f"{budget:,}" in warning
    assert submissions.compute_budget_warning(manifest, scenario.HP_A) is None


def test_no_budget_no_warning():
    manifest = scenario.tiny_dataset().manifest
    unbounded = manifest.model_copy(
        update={"evaluation": manifest.evaluation.model_copy(update={"max_parameters": None})}
    )
    assert submissions.compute_budget_warning(unbounded, HUGE) is None


def test_the_manifest_alone_is_read_by_the_digest_on_chain():
    b = scenario.backend()
    built = scenario.tiny_dataset()
    bounty_id = scenario.create_bounty(b, built)
    assert submissions.task_manifest(b, bounty_id) == built.manifest
