"""Disputes: an owner's posted score is a claim anyone who revealed can challenge before an arbitrator.

Why here and not in the pages: the Initialize and Disputes pages and ``python -m cli dispute`` offer
the same four transactions and the same reads, and a test calls them without Streamlit.

* Plans (``actions.tx.plan``, so each passes the wallet-style confirmation): the owner's
  :func:`plan_set_arbitration` (once, before any commit, with the owner's bond), a participant's
  :func:`plan_challenge` (the challenge bond plus the arbitrator's fee), the arbitrator's
  :func:`plan_rule` (``giveRuling`` on the dev arbitrator, which calls the board's ``rule``) and
  anyone's :func:`plan_timeout` (a dispute not ruled on within ``RULING_TIMEOUT_S`` counts for
  the challenger: the owner chose the arbitrator, so one that never rules must not help the owner).
* Reads: the terms of a bounty's arbitration (:func:`terms_rows`), the challenge deadline in words
  (:func:`deadline_text`), its disputes (:func:`disputes`, :func:`dispute_rows`, from the
  ``ScoreChallenged`` events of the board's index and the contract's ``disputeOf`` view).
* The dev chain's arbitrator (:func:`dev_arbitrator`): a SimpleArbitrator deployed by the wallet's
  "Arbiter" account on first need and remembered in the deployment registry.
* :func:`claimed_from_verify`: the accuracy this machine's re-run (the Explorer's verify job)
  found for a participant, the natural claim of a challenge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from eth_utils import is_address, to_checksum_address

from actions.errors import ActionError
from actions.jobs import DONE
from actions.tx import TxPlan, plan
from chain.arbitrator import ARBITRATOR_NAME, ArbitratorClient, open_arbitrator
from chain.client import (
    MAX_CHALLENGE_PERIOD,
    RULING_CHALLENGER_RIGHT,
    RULING_REFUSED,
    RULING_SCORE_STANDS,
    RULING_TIMEOUT,
)
from chain.deployments import DeploymentRegistry
from formatting import duration, eth, percent_ppm, utc

if TYPE_CHECKING:
    from actions.session import Backend
    from chain.accounts import Sender
    from chain.client import Arbitration, Dispute, TxReceipt

DEV_ARBITRATION_COST = 10**15  # 0.001 ETH: the dev arbitrator's fee per dispute
DEFAULT_OWNER_BOND = 10**17  # 0.1 ETH
DEFAULT_CHALLENGE_BOND = 5 * 10**16  # 0.05 ETH
DEFAULT_CHALLENGE_PERIOD_S = 10 * 60
MIN_CHALLENGE_PERIOD_S = 300  # the contract's MIN_WINDOW_SECONDS
MAX_CHALLENGE_PERIOD_S = MAX_CHALLENGE_PERIOD
RULING_TIMEOUT_S = RULING_TIMEOUT  # after it, anyone may close an unruled dispute for the challenger
MAX_BOND = 2**96 - 1  # uint96

RULINGS = {
    RULING_REFUSED: "refused to rule (the posted score stands)",
    RULING_CHALLENGER_RIGHT: "the challenger is right",
    RULING_SCORE_STANDS: "the posted score stands",
}


@dataclass(frozen=True)
class ArbitrationTerms:
    """What the owner chooses in Initialize's "Disputes" expander. Amounts in wei, period in seconds."""

    arbitrator: str
    owner_bond: int = DEFAULT_OWNER_BOND
    challenge_bond: int = DEFAULT_CHALLENGE_BOND
    challenge_period_s: int = DEFAULT_CHALLENGE_PERIOD_S

    def check(self) -> None:
        """Refuse in a sentence what the contract would refuse with an error."""
        if not is_address(self.arbitrator):
            raise ActionError(f"The arbitrator {self.arbitrator!r} is not an address (0x and 40 hex digits).")
        if not 0 < self.owner_bond <= MAX_BOND:
            raise ActionError(
                "The owner's bond must be more than 0 ETH: it is what a winning challenger gets."
            )
        if not 0 <= self.challenge_bond <= MAX_BOND:
            raise ActionError("The challenge bond must be between 0 and 79 billion ETH.")
        if not MIN_CHALLENGE_PERIOD_S <= self.challenge_period_s <= MAX_CHALLENGE_PERIOD_S:
            raise ActionError("The challenge period must last between five minutes and 30 days.")


# --------------------------------------------------------------------------- the dev arbitrator


def dev_arbitrator(backend: Backend) -> ArbitratorClient:
    """The dev chain's SimpleArbitrator, deployed by the "Arbiter" account on first need (its fee
    :data:`DEV_ARBITRATION_COST`); the same one after a restart (the deployment registry)."""
    if not backend.chain.is_dev:
        raise ActionError(
            "Only dev chains have a built-in arbitrator; on this network give the address of an "
            "ERC-792 arbitrator."
        )
    arbiter = backend.arbiter()
    if arbiter is None:
        raise ActionError(
            "This dev chain has no spare account for the Arbiter: lower HYPERBOUNTY_PARTICIPANTS by one."
        )
    return open_arbitrator(
        backend.chain,
        sender=arbiter,
        deploy_if_never_deployed=True,
        arbitration_cost_wei=DEV_ARBITRATION_COST,
        registry=DeploymentRegistry.open(backend.settings),
    )


def arbitrator_client(backend: Backend, address: str) -> ArbitratorClient:
    """A client for the arbitrator at ``address`` (the one a bounty names)."""
    return ArbitratorClient(backend.chain, to_checksum_address(address))


def arbitrator_text(backend: Backend, address: str) -> str:
    """The arbitrator's address, named "dev arbitrator" where it is this dev chain's own."""
    known = DeploymentRegistry.open(backend.settings).get(backend.chain.chain_id, ARBITRATOR_NAME)
    if known is not None and known.address.lower() == address.lower():
        return f"dev arbitrator (the Arbiter account rules) {to_checksum_address(address)}"
    return to_checksum_address(address)


# --------------------------------------------------------------------------- plans


def plan_set_arbitration(backend: Backend, sender: Sender, bounty_id: int, terms: ArbitrationTerms) -> TxPlan:
    """The owner names the arbitrator and deposits its bond (``msg.value``); once, before any commit."""
    terms.check()
    client = backend.client
    arbitrator = to_checksum_address(terms.arbitrator)
    return plan(
        client,
        sender,
        f"Set the arbitration of bounty {bounty_id}",
        "setArbitration",
        (int(bounty_id), arbitrator, int(terms.challenge_bond), int(terms.challenge_period_s)),
        lambda: client.set_arbitration(
            sender,
            bounty_id,
            arbitrator,
            terms.owner_bond,
            terms.challenge_bond,
            terms.challenge_period_s,
        ),
        value=terms.owner_bond,
        details=[
            ("Arbitrator", arbitrator_text(backend, arbitrator)),
            ("Owner's bond (forfeited to a winning challenger)", eth(terms.owner_bond)),
            ("Challenge bond", eth(terms.challenge_bond)),
            ("Challenge period after the latest scores", duration(terms.challenge_period_s)),
        ],
    )


def arbitration_of(backend: Backend, bounty_id: int) -> Arbitration:
    """The bounty's arbitration, or a sentence saying it has none."""
    arbitration = backend.client.arbitration(bounty_id)
    if arbitration is None:
        raise ActionError(
            f"Bounty {bounty_id} has no arbitrator: its owner did not set one, so its scores cannot be "
            "challenged."
        )
    return arbitration


def check_claim(claimed_accuracy_ppm: int) -> None:
    if not 0 <= int(claimed_accuracy_ppm) <= 1_000_000:
        raise ActionError("The claimed accuracy is a share of correct predictions: between 0 % and 100 %.")


def plan_challenge(
    backend: Backend, sender: Sender, bounty_id: int, participant: str, claimed_accuracy_ppm: int
) -> TxPlan:
    """A revealer challenges ``participant``'s posted score, claiming ``claimed_accuracy_ppm`` instead.

    The value is the challenge bond plus the arbitrator's fee (``challenge_cost``). The outcome's
    ``extra["dispute_id"]`` is the arbitrator's dispute id (what the arbitrator rules on).
    """
    check_claim(claimed_accuracy_ppm)
    if not is_address(participant):
        raise ActionError(f"{participant!r} is not an address (0x and 40 hex digits).")
    arbitration = arbitration_of(backend, bounty_id)
    client = backend.client
    who = to_checksum_address(participant)
    cost = client.challenge_cost(bounty_id)
    opened: list[int] = []

    def send() -> TxReceipt:
        dispute_id, receipt = client.challenge_score(sender, bounty_id, who, int(claimed_accuracy_ppm))
        opened.append(dispute_id)
        return receipt

    return plan(
        client,
        sender,
        f"Challenge {backend.label_of(who)}'s score on bounty {bounty_id}",
        "challengeScore",
        (int(bounty_id), who, int(claimed_accuracy_ppm)),
        send,
        value=cost,
        details=[
            ("Challenged participant", f"{backend.label_of(who)} {who}"),
            ("Claimed accuracy", percent_ppm(int(claimed_accuracy_ppm))),
            ("Challenge bond (back if you win)", eth(arbitration.challenge_bond)),
            ("Arbitration fee", eth(cost - arbitration.challenge_bond)),
            ("If you win", f"the owner's bond {eth(arbitration.owner_bond)} and a stall split of the reward"),
        ],
        after=lambda receipt: {"dispute_id": opened[0]} if opened else {},
    )


def plan_rule(backend: Backend, sender: Sender, arbitrator: str, dispute_id: int, ruling: int) -> TxPlan:
    """The arbitrator at ``arbitrator`` rules on its dispute ``dispute_id`` (``giveRuling`` on the dev
    arbitrator, which calls the board's ``rule``); only that arbitrator's owner may."""
    if ruling not in (RULING_CHALLENGER_RIGHT, RULING_SCORE_STANDS):
        raise ActionError("A ruling is 1 (the challenger is right) or 2 (the posted score stands).")
    client = arbitrator_client(backend, arbitrator)
    return TxPlan(
        title=f"Rule on dispute {dispute_id}: {RULINGS[ruling]}",
        function="giveRuling",
        sender=sender.address,
        preview_fn=lambda: client.preview_ruling(sender.address, dispute_id, ruling),
        send=lambda: client.give_ruling(sender, dispute_id, ruling),
        details=[("Arbitrator", client.address), ("Ruling", f"{ruling}: {RULINGS[ruling]}")],
    )


def plan_timeout(backend: Backend, sender: Sender, bounty_id: int, dispute_id: int) -> TxPlan:
    """Anyone closes a dispute the arbitrator left unruled for ``RULING_TIMEOUT_S``: the challenger wins."""
    client = backend.client
    return plan(
        client,
        sender,
        f"Close timed-out dispute {dispute_id} of bounty {bounty_id}",
        "timeoutDispute",
        (int(bounty_id), int(dispute_id)),
        lambda: client.timeout_dispute(sender, bounty_id, dispute_id),
        details=[("Counts as", f"ruling 1: {RULINGS[RULING_CHALLENGER_RIGHT]}")],
    )


# --------------------------------------------------------------------------- reads


def terms_rows(backend: Backend, arbitration: Arbitration) -> list[dict[str, str]]:
    """The arbitration's terms as (term, value) rows for a table."""
    arbitrator = arbitration.arbitrator
    rows = [
        ("Arbitrator", arbitrator_text(backend, arbitrator)),
        (
            "Owner's bond",
            eth(arbitration.owner_bond) + (" (paid to a challenger)" if arbitration.owner_bond_paid else ""),
        ),
        ("Challenge bond", eth(arbitration.challenge_bond)),
        ("Challenge period", duration(arbitration.challenge_period)),
        ("Open disputes", str(arbitration.open_disputes)),
        ("Scores", "void: the bounty settles as a stall split" if arbitration.voided else "stand"),
    ]
    return [{"term": term, "value": value} for term, value in rows]


def deadline_text(arbitration: Arbitration, now: int) -> str:
    """When challenges are accepted, in words (chain time)."""
    if arbitration.voided:
        return "The posted scores were voided by a ruling: no more challenges are needed."
    if not arbitration.last_scores_at:
        return (
            f"No scores posted yet: challenges open with the first posted scores and last "
            f"{duration(arbitration.challenge_period)} after the latest ones."
        )
    ends = arbitration.challenge_deadline
    if now < ends:
        return f"Challenges accepted until {utc(ends)} (in {duration(ends - now)}), chain time."
    return f"The challenge period ended at {utc(ends)}; no new challenge is accepted."


def challenge_open(arbitration: Arbitration, now: int) -> bool:
    return (
        bool(arbitration.last_scores_at) and not arbitration.voided and now < arbitration.challenge_deadline
    )


def dispute_ids(backend: Backend, bounty_id: int) -> list[int]:
    """The bounty's dispute ids, oldest first, from its ``ScoreChallenged`` events."""
    return [
        int(event.args["disputeId"])
        for event in backend.index.events(bounty_id)
        if event.name == "ScoreChallenged"
    ]


def disputes(backend: Backend, bounty_id: int) -> list[Dispute]:
    """The bounty's disputes, oldest first, as the contract holds them now (ruled or open)."""
    arbitration = backend.client.arbitration(bounty_id)
    if arbitration is None:
        return []
    return [backend.client.dispute(arbitration.arbitrator, i) for i in dispute_ids(backend, bounty_id)]


def timed_out(dispute: Dispute, now: int) -> bool:
    """Whether anyone may close this open dispute for the challenger (``timeoutDispute``)."""
    return not dispute.ruled and now >= dispute.timeout_at


def dispute_rows(backend: Backend, found: list[Dispute], now: int) -> list[dict[str, int | str]]:
    """The disputes as table rows: who challenged whom, the two scores, and where it stands."""
    rows: list[dict[str, int | str]] = []
    for d in found:
        if d.ruled:
            status = f"ruling {d.ruling}, {d.status}"
        elif timed_out(d, now):
            status = "open, timed out: anyone may close it for the challenger"
        else:
            status = f"open: the arbitrator rules by {utc(d.timeout_at)}, else it counts for the challenger"
        rows.append(
            {
                "dispute": d.dispute_id,
                "challenger": backend.label_of(d.challenger),
                "participant": backend.label_of(d.participant),
                "posted %": percent_ppm(d.posted_accuracy_ppm),
                "claimed %": percent_ppm(d.claimed_accuracy_ppm),
                "opened (UTC)": utc(d.created_at),
                "status": status,
            }
        )
    return rows


def verify_key(bounty_id: int, participant: str) -> str:
    """The job key ``actions.evaluation.start_verify`` runs a re-run under."""
    return f"verify:{bounty_id}:{participant}"


def claimed_from_verify(backend: Backend, bounty_id: int, participant: str) -> int | None:
    """The accuracy (ppm) this machine's verify re-run found for ``participant``, if one finished."""
    for who in dict.fromkeys(
        (participant, to_checksum_address(participant) if is_address(participant) else participant)
    ):
        view = backend.jobs.get(verify_key(bounty_id, who))
        if (
            view is not None
            and view.state == DONE
            and view.result
            and view.result.get("recomputed") is not None
        ):
            return int(view.result["recomputed"])
    return None
