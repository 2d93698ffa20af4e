"""The whole bounty flow, step by step, through the same ``actions/`` functions the pages call.

Each step prints what it does, every transaction with its hash, block and gas
(estimated before, used after), and the figures that matter (CIDs, scores,
balances). Training runs as the dashboard's background job; the terminal
follows it with rich progress bars instead of a fragment that polls.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actions import bounties, datasets, evaluation, settlement, submissions
from actions.errors import ActionError, plain_error
from actions.session import Backend, get_backend
from actions.tx import TxOutcome, TxPlan
from cli.console import FlowConsole
from formatting import eth, percent_ppm, short_address, short_hash
from ml.runner import EvaluationReport
from protocol import Hyperparameters

SUBMISSION_S, REVEAL_S, EVALUATION_S = 600, 600, 3600
COMMIT_BOND = 10**16  # 0.01 ETH

# Distinct, small submissions: the tiny protocol trains each in seconds, the demo one in tens of seconds.
CANDIDATES: tuple[Hyperparameters, ...] = (
    Hyperparameters(
        lstm_layers=1,
        lstm_units=8,
        dense_layers=0,
        activation=0,
        loss=0,
        dropout_permille=0,
        learning_rate_micro=5000,
    ),
    Hyperparameters(
        lstm_layers=1,
        lstm_units=16,
        dense_layers=1,
        activation=1,
        loss=0,
        dropout_permille=100,
        learning_rate_micro=2000,
    ),
    Hyperparameters(
        lstm_layers=2,
        lstm_units=8,
        dense_layers=1,
        activation=3,
        loss=1,
        dropout_permille=200,
        learning_rate_micro=1000,
    ),
    Hyperparameters(
        lstm_layers=1,
        lstm_units=32,
        dense_layers=0,
        activation=0,
        loss=0,
        dropout_permille=300,
        learning_rate_micro=3000,
    ),
    Hyperparameters(
        lstm_layers=1,
        lstm_units=12,
        dense_layers=2,
        activation=6,
        loss=0,
        dropout_permille=50,
        learning_rate_micro=8000,
    ),
    Hyperparameters(
        lstm_layers=2,
        lstm_units=16,
        dense_layers=0,
        activation=0,
        loss=1,
        dropout_permille=150,
        learning_rate_micro=1500,
    ),
    Hyperparameters(
        lstm_layers=1,
        lstm_units=24,
        dense_layers=1,
        activation=5,
        loss=0,
        dropout_permille=250,
        learning_rate_micro=4000,
    ),
    Hyperparameters(
        lstm_layers=1,
        lstm_units=6,
        dense_layers=1,
        activation=2,
        loss=0,
        dropout_permille=0,
        learning_rate_micro=10000,
    ),
)


class FlowFailed(Exception):
    """A step failed; the message is the plain sentence the dashboard would show."""


@dataclass
class FlowRecord:
    """What the flow did, for the final summary and ``--summary-json``."""

    data_dir: str
    protocol: str
    bounty_id: int = 0
    transactions: list[dict[str, Any]] = field(default_factory=list)
    scores: dict[str, int | None] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    outcome: str = ""
    winner: str = ""
    balances_before: dict[str, int] = field(default_factory=dict)
    balances_after: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True)


def participant_hyperparameters(count: int) -> list[Hyperparameters]:
    """``count`` different submissions (up to 8)."""
    if not 1 <= count <= len(CANDIDATES):
        raise ActionError(f"Choose between 1 and {len(CANDIDATES)} participants.")
    return list(CANDIDATES[:count])


class Flow:
    """One run of the flow; each method is one step a person would do on one page."""

    def __init__(self, args: argparse.Namespace, out: FlowConsole) -> None:
        self.args = args
        self.out = out
        self.record = FlowRecord(data_dir=str(args.data_dir), protocol=args.protocol)
        self.backend: Backend = get_backend()
        senders = self.backend.dev_senders()
        if len(senders) < args.participants + 1:
            raise FlowFailed(
                f"The wallet has {len(senders) - 1} participant accounts; "
                f"set HYPERBOUNTY_PARTICIPANTS to at least {args.participants}."
            )
        self.owner = senders[0]
        self.participants = senders[1 : args.participants + 1]
        self.built: datasets.BuiltDataset | None = None
        self.report: EvaluationReport | None = None

    # -- helpers -------------------------------------------------------------

    def label(self, address: str) -> str:
        return self.backend.label_of(address)

    def send(self, plan: TxPlan) -> TxOutcome:
        """Preview (estimated gas), send, print the mined receipt; a failure stops the flow."""
        try:
            estimate = plan.preview().gas
        except Exception as exc:
            raise FlowFailed(f"{plan.title}: {plain_error(exc)}") from exc
        outcome = plan.execute()
        if not outcome.ok:
            raise FlowFailed(f"{plan.title}: {outcome.error}")
        self.out.ok(f"{plan.title} [dim]({self.label(plan.sender)})[/dim]")
        self.out.info(
            f"    tx {short_hash(outcome.tx_hash)}  block {outcome.block}  "
            f"gas {outcome.gas_used:,} (estimated {estimate:,})"
        )
        for key, value in outcome.extra.items():
            self.out.info(f"    {key}: {value}")
        self.record.transactions.append(
            {
                "title": plan.title,
                "function": plan.function,
                "sender": plan.sender,
                "tx_hash": outcome.tx_hash,
                "block": outcome.block,
                "gas_used": outcome.gas_used,
                "gas_estimate": estimate,
            }
        )
        return outcome

    def advance_past(self, deadline: int, what: str) -> None:
        now = self.backend.now()
        if now < deadline:
            self.backend.chain.advance_time(deadline - now)
        self.out.ok(f"Chain time advanced {deadline - now} s, to the {what} (dev chain).")

    # -- steps ---------------------------------------------------------------

    def network(self) -> None:
        self.out.step("Network and wallet")
        self.out.facts(
            {
                "chain": f"{self.backend.settings.chain} (chain id {self.backend.chain.chain_id})",
                "BountyBoard": str(self.backend.client.address),  # deployed on first use on a dev chain
                "data dir": self.record.data_dir,
                "protocol": self.args.protocol,
            }
        )
        people = [self.owner, *self.participants]
        self.out.table(
            ["account", "address", "balance"],
            [
                (self.label(p.address), short_address(p.address), eth(self.backend.balance(p.address)))
                for p in people
            ],
        )
        self.record.labels = {p.address: self.label(p.address) for p in people}
        self.record.balances_before = {p.address: self.backend.balance(p.address) for p in people}

    def build_dataset(self) -> None:
        self.out.step("Owner builds the dataset (Preprocess page)")
        params = datasets.default_parameters(self.args.protocol)
        frames = datasets.load_candles(self.backend.settings, "bundled", list(params.coins))
        self.built = datasets.build(self.backend.settings, frames, params)
        manifest = self.built.manifest
        self.out.facts(
            {
                "coins": ", ".join(params.coins),
                "interval": params.interval,
                "sequence length": manifest.sequence_length,
                "future period": manifest.future_period,
                **{f"CID {name}": cid for name, cid in self.built.cids.items()},
                **{f"size {name}": f"{len(data):,} bytes" for name, data in self.built.files.items()},
            }
        )

    def create_bounty(self) -> None:
        self.out.step("Owner creates the bounty (Initialize page)")
        assert self.built is not None
        min_ppm = max(1, round(self.args.min_accuracy * 1_000_000))
        terms = bounties.BountyTerms(
            reward=self.args.reward_wei,
            min_accuracy_ppm=min_ppm,
            submission_s=SUBMISSION_S,
            reveal_s=REVEAL_S,
            evaluation_s=EVALUATION_S,
            commit_bond=COMMIT_BOND,
        )
        plan = bounties.plan_create_bounty(self.backend, self.owner, self.built, self.built.manifest, terms)
        for key, value in plan.details:
            self.out.info(f"[dim]{key}:[/dim] {value}")
        outcome = self.send(plan)
        self.record.bounty_id = int(outcome.extra["bounty_id"])

    def commit_all(self) -> None:
        self.out.step("Participants commit their hyperparameters (Submit page)")
        for sender, hp in zip(
            self.participants, participant_hyperparameters(len(self.participants)), strict=True
        ):
            self.out.info(f"{self.label(sender.address)}: {hp.describe()}")
            self.send(submissions.plan_commit(self.backend, sender, self.record.bounty_id, hp))

    def reveal_all(self) -> None:
        self.out.step("Submission window closes; participants reveal (Submit page)")
        bounty = self.backend.client.bounty(self.record.bounty_id)
        self.advance_past(bounty.submission_deadline, "reveal window")
        for sender in self.participants:
            self.send(submissions.plan_reveal(self.backend, sender, self.record.bounty_id))

    def evaluate(self) -> None:
        self.out.step("Owner evaluates every revealed submission (Evaluate page)")
        bounty = self.backend.client.bounty(self.record.bounty_id)
        self.advance_past(bounty.reveal_deadline, "evaluation window")
        self.send(evaluation.plan_reveal_test_data(self.backend, self.owner, self.record.bounty_id))
        job = evaluation.start_evaluation(self.backend, self.record.bounty_id, workers=self.args.workers)
        view = self.out.follow_evaluation(self.backend.jobs, job.key, self.label)
        if view.state != "done":
            raise FlowFailed(f"The evaluation did not finish: {view.error or view.state}.")
        self.report = view.result
        rows = evaluation.leaderboard_from_report(view.result)
        self.out.table(
            ["rank", "participant", "status", "test accuracy"],
            [
                (
                    i + 1,
                    self.label(r["participant"]),
                    r["status"],
                    percent_ppm(r["score_ppm"]) if r["score_ppm"] is not None else r["error"] or "-",
                )
                for i, r in enumerate(rows)
            ],
            title="Leaderboard",
        )
        self.record.scores = {r["participant"]: r["score_ppm"] for r in rows}
        self.out.info(f"report CID {view.result.cid()}")

    def post_scores(self) -> None:
        self.out.step("Owner publishes the report and posts the scores")
        assert self.report is not None
        self.send(evaluation.plan_post_scores(self.backend, self.owner, self.record.bounty_id, self.report))

    def finalize(self) -> None:
        self.out.step("Anyone finalizes (Finalize page)")
        preview = settlement.outcome_preview(self.backend, self.record.bounty_id)
        self.out.info(f"preview: {preview.outcome}")
        if not preview.possible:
            raise FlowFailed(preview.reason)
        outcome = self.send(
            settlement.plan_finalize(self.backend, self.participants[-1], self.record.bounty_id)
        )
        self.record.outcome = str(outcome.extra.get("outcome", preview.outcome))
        bounty = self.backend.client.bounty(self.record.bounty_id)
        if bounty.best_accuracy_ppm >= bounty.min_accuracy_ppm and int(bounty.leader, 16):
            self.record.winner = bounty.leader

    def withdraw_all(self) -> None:
        self.out.step("Everyone with a credit withdraws")
        for sender in [self.owner, *self.participants]:
            credit = settlement.pending_withdrawal(self.backend, sender.address)
            if credit:
                self.send(settlement.plan_withdraw(self.backend, sender))
        self.record.balances_after = {a: self.backend.balance(a) for a in self.record.balances_before}

    def summary(self) -> None:
        self.out.step("Result")
        rows = []
        for address, before in self.record.balances_before.items():
            after = self.record.balances_after[address]
            change = after - before
            sign = "+" if change >= 0 else "-"
            score = self.record.scores.get(address)
            rows.append(
                (
                    self.label(address),
                    percent_ppm(score) if score is not None else "",
                    eth(before),
                    eth(after),
                    f"{sign}{eth(abs(change))}",
                )
            )
        self.out.table(
            ["account", "score", "balance before", "balance after", "change"],
            rows,
            title=f"Bounty {self.record.bounty_id}: {self.record.outcome}",
        )
        gas = sum(t["gas_used"] for t in self.record.transactions)
        self.out.info(
            f"{len(self.record.transactions)} transactions, {gas:,} gas in all, {self.record.seconds:.1f} s"
        )
        if self.record.winner:
            self.out.ok(f"Winner: {self.label(self.record.winner)} ({short_address(self.record.winner)})")
        else:
            self.out.ok("No winner: the reward went back to the owner.")

    def run(self) -> FlowRecord:
        started = time.perf_counter()
        for step in (
            self.network,
            self.build_dataset,
            self.create_bounty,
            self.commit_all,
            self.reveal_all,
            self.evaluate,
            self.post_scores,
            self.finalize,
            self.withdraw_all,
        ):
            step()
        self.record.seconds = time.perf_counter() - started
        self.summary()
        return self.record


def run_flow(args: argparse.Namespace, out: FlowConsole | None = None) -> int:
    """Run the flow; 0 when the bounty was paid out, 1 with a plain sentence when a step failed."""
    out = out or FlowConsole()
    problem = _summary_folder_problem(args.summary_json)
    if problem:  # say so before minutes of training, not after
        out.fail(problem)
        return 1
    try:
        record = Flow(args, out).run()
    except (FlowFailed, ActionError) as exc:
        out.fail(str(exc))
        return 1
    except Exception as exc:  # anything else still ends as a sentence, not a traceback
        out.fail(plain_error(exc))
        return 1
    finally:
        from actions import session

        session.close_all()
    if args.summary_json is not None:
        try:
            args.summary_json.write_text(record.to_json())
        except OSError as exc:
            out.fail(
                f"The flow succeeded but its summary could not be written to {args.summary_json}: {exc}."
            )
            return 1
        out.info(f"summary written to {args.summary_json}")
    return 0


def _summary_folder_problem(path: Path | None) -> str | None:
    """Create the summary's folder if it is missing; a sentence when that is impossible."""
    if path is None:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"Cannot create the folder {path.parent} for --summary-json ({exc.strerror}); choose another."
    if path.is_dir():
        return f"--summary-json {path} is a folder; give a file name such as {path / 'out.json'}."
    return None
