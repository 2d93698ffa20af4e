"""Stateful property test: random bounties, commits, reveals, scores, finalizes, claims, withdraws,
disputes (set arbitration, challenge, rule, timeout) and time jumps with several accounts, checked
against a ghost model after every step (Foundry-style).

After every step: the contract holds at least the sum of credits plus the escrow of open bounties
(reward, unrevealed bonds, the owner's bond and the challenge bonds of open disputes; in fact exactly,
since nothing else pays it); every credit equals the model's; phases only move forward. At the end
of each run every bounty is driven to its end (open disputes ruled, challenge periods over): each has
exactly one outcome, and once everyone has withdrawn, the ETH paid out equals the ETH paid in.

Every action is also tried when the model says it must fail, and the chain must agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from tempfile import mkdtemp

import pytest
from eth_utils import keccak
from hypothesis import HealthCheck, event
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from chain import connect
from chain.compile import ARBITRATOR_ARTIFACT_PATH, load_artifact
from settings import Settings
from tests.chain.conftest import (
    BELOW_BAR,
    CANCELLED,
    EVALUATION,
    FINALIZABLE,
    FINALIZED,
    NO_OUTCOME,
    NO_REVEALS,
    REVEAL,
    STALL_SPLIT,
    SUBMISSION,
    WINNER_PAID,
    Board,
)

# py-evm raises the recursion limit while it runs; hypothesis only notes that it will not reset it.
pytestmark = pytest.mark.filterwarnings("ignore:The recursion limit will not be reset")

HPS = [(1, 8, 0, 0, 0, 0, 10), (2, 64, 1, 1, 3, 200, 1000), (4, 512, 4, 7, 4, 800, 100_000)]
WINDOW = 300  # the shortest window the contract accepts; windows and time jumps are drawn on this scale
MAX_DURATION = 365 * 86400  # the latest evaluation deadline after creation
FEE = 10**12  # the arbitrator's fee per dispute (leaves the board at once)
RULING_TIMEOUT = 30 * 86400


@dataclass
class GhostDispute:
    id: int
    challenger: str
    created: int
    open: bool = True


@dataclass
class GhostBounty:
    id: int
    owner: str
    reward: int
    bond: int
    min_acc: int
    sub: int
    rev: int
    ev: int
    test_opening: tuple[bytes, bytes]
    status: str = "open"  # open | finalized | cancelled
    order: dict[str, int] = field(default_factory=dict)  # first-commit order
    opening: dict[str, tuple] = field(default_factory=dict)  # latest (hp, salt)
    revealed: list[str] = field(default_factory=list)
    scores: dict[str, int] = field(default_factory=dict)
    test_revealed: bool = False
    outcome: int = NO_OUTCOME
    claimed: set[str] = field(default_factory=set)
    last_phase: int = SUBMISSION
    # disputes: owner_bond > 0 once setArbitration succeeded
    owner_bond: int = 0
    challenge_bond: int = 0
    period: int = 0
    last_scores_at: int = 0
    voided: bool = False
    owner_bond_paid: bool = False
    disputes: list[GhostDispute] = field(default_factory=list)

    @property
    def arbitrated(self) -> bool:
        return self.owner_bond > 0

    def open_disputes(self) -> list[GhostDispute]:
        return [d for d in self.disputes if d.open]

    def challengeable(self, now: int) -> bool:
        """Scores may still be challenged (the challenge period after the latest scores runs)."""
        return (
            self.arbitrated
            and not self.voided
            and self.last_scores_at > 0
            and now < self.last_scores_at + self.period
        )

    def phase(self, now: int) -> int:
        if self.status == "finalized":
            return FINALIZED
        if self.status == "cancelled":
            return CANCELLED
        if now < self.sub:
            return SUBMISSION
        if now < self.rev:
            return REVEAL
        if now >= self.ev or len(self.scores) == len(self.revealed) or self.voided:
            return EVALUATION if self.open_disputes() or self.challengeable(now) else FINALIZABLE
        return EVALUATION

    def escrow(self) -> int:
        """What the contract still holds for this bounty while it is open."""
        if self.status != "open":
            return 0
        bonds = self.bond * (len(self.order) - len(self.revealed))
        disputes = self.challenge_bond * len(self.open_disputes())
        return self.reward + bonds + (0 if self.owner_bond_paid else self.owner_bond) + disputes


_CHAIN: dict[str, object] = {}


def _board() -> Board:
    """One embedded chain and deployment for the whole module; each run reverts to a snapshot."""
    if "board" not in _CHAIN:
        chain = connect(
            Settings(data_dir=Path(mkdtemp(prefix="hb-invariants-")), chain="embedded", participants=6)
        )
        artifact = load_artifact()
        factory = chain.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        tx = factory.constructor().build_transaction({"from": chain.accounts()[0], "gas": 8_000_000})
        receipt = chain.w3.eth.wait_for_transaction_receipt(chain.w3.eth.send_transaction(tx))
        board = Board(chain, receipt["contractAddress"], artifact["abi"])
        arbiter = chain.accounts()[6]  # neither an owner nor a participant of the machine
        judge = load_artifact(ARBITRATOR_ARTIFACT_PATH)
        factory = chain.w3.eth.contract(abi=judge["abi"], bytecode=judge["bytecode"])
        receipt = board.send(factory.constructor(FEE), arbiter)
        board.arbiter = arbiter  # type: ignore[attr-defined]
        board.arbitrator = chain.w3.eth.contract(address=receipt["contractAddress"], abi=judge["abi"])  # type: ignore[attr-defined]
        _CHAIN["chain"] = chain
        _CHAIN["board"] = board
    return _CHAIN["board"]  # type: ignore[return-value]


@pytest.fixture(scope="module", autouse=True)
def _close_chain():
    yield
    if "chain" in _CHAIN:
        _CHAIN.pop("chain").close()  # type: ignore[attr-defined]
        _CHAIN.pop("board")


class BountyMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.board = _board()
        self.snapshot = self.board.chain.snapshot()
        self.owners = self.board.accounts[:2]
        self.people = self.board.accounts[2:6]
        self.everyone = self.owners + self.people
        self.bounties: list[GhostBounty] = []
        self.credits: dict[str, int] = dict.fromkeys(self.everyone, 0)
        self.paid_in = 0
        self.paid_out = 0
        self.start_balance = self.board.balance()

    # -- helpers ------------------------------------------------------------------------------
    def _next(self) -> int:
        return self.board.now() + 1

    def _try(self, ok: bool, call, sender: str, value: int = 0) -> int:
        """Send at the next second; the chain must succeed exactly when the model says so."""
        at = self._next()
        event(f"{call.fn_name} {'succeeds' if ok else 'reverts'}")  # see --hypothesis-show-statistics
        if ok:
            self.board.send(call, sender, value, at=at)
        else:
            self.board.reverts(call, sender, value, at=at)
        return at

    def _pick(self, index: int) -> GhostBounty:
        return self.bounties[index % len(self.bounties)]

    def _reach(self, ts: int) -> None:
        """Move the clock forward (never back) so the next transaction lands at ``ts``."""
        if ts - 1 > self.board.now():
            self.board.chain.set_next_timestamp(ts - 1)
            self.board.chain.mine()

    def _likely(self, valid: int, candidates: list[str], person: int) -> str:
        """Mostly (3 in 4) someone for whom the action can succeed, else anyone."""
        return candidates[person % len(candidates)] if valid and candidates else self.people[person]

    def _settle(self, g: GhostBounty) -> None:
        """The model's finalize."""
        g.status = "finalized"
        reward = g.reward
        if not g.revealed:
            g.outcome = NO_REVEALS
            self.credits[g.owner] += reward
        elif len(g.scores) == len(g.revealed) and not g.voided:
            best = max(g.scores.values())
            winner = min((p for p, s in g.scores.items() if s == best), key=lambda p: g.order[p])
            if best >= g.min_acc:
                g.outcome = WINNER_PAID
                self.credits[winner] += reward
            else:
                g.outcome = BELOW_BAR
                self.credits[g.owner] += reward
        else:
            g.outcome = STALL_SPLIT
            self.credits[g.revealed[0]] += reward % len(g.revealed)
        self.credits[g.owner] += g.bond * (len(g.order) - len(g.revealed))
        self._return_owner_bond(g)

    def _return_owner_bond(self, g: GhostBounty) -> None:
        if g.arbitrated and not g.owner_bond_paid:
            g.owner_bond_paid = True
            self.credits[g.owner] += g.owner_bond

    def _close_dispute(self, g: GhostBounty, d: GhostDispute, challenger_won: bool) -> None:
        """The model's rule / timeoutDispute."""
        d.open = False
        if challenger_won:
            g.voided = True
            self.credits[d.challenger] += g.challenge_bond
            if not g.owner_bond_paid:
                g.owner_bond_paid = True
                self.credits[d.challenger] += g.owner_bond
        else:
            self.credits[g.owner] += g.challenge_bond

    # -- rules ----------------------------------------------------------------------------------
    @precondition(lambda self: len(self.bounties) < 3)
    @rule(
        owner=st.integers(0, 1),
        reward=st.integers(1, 10**18),
        bond=st.sampled_from([0, 0, 1, 10**15]),
        min_acc=st.integers(1, 1_000_000),
        windows=st.tuples(*[st.integers(WINDOW, WINDOW + 100)] * 3),
        forward=st.booleans(),
    )
    def create(self, owner, reward, bond, min_acc, windows, forward=False):
        who = self.owners[owner]
        at = self._next()
        sub = at + windows[0]
        rev, ev = sub + windows[1], sub + windows[1] + windows[2]
        if forward:  # a forward test commits to nothing; its test data opens with salt 0
            opening, commitment = (keccak(text=f"test split {at}"), bytes(32)), bytes(32)
        else:
            opening = (keccak(text=f"test split {at}"), keccak(text=f"salt {at}"))
            commitment = keccak(self.board.w3.codec.encode(["bytes32", "bytes32"], list(opening)))
        call = self.board.fn.createBounty(b"\x01" * 32, commitment, min_acc, 10, 1, sub, rev, ev, bond)
        self.board.send(call, who, reward, at=at)
        bounty_id = self.board.fn.bountyCount().call()
        self.bounties.append(GhostBounty(bounty_id, who, reward, bond, min_acc, sub, rev, ev, opening))
        self.paid_in += reward

    @rule(
        which=st.sampled_from(["submission", "reveal", "evaluation", "too late"]),
        short=st.integers(0, WINDOW - 1),
        forward=st.booleans(),
    )
    def create_with_bad_windows(self, which, short, forward):
        """A window under five minutes, or an end beyond 365 days, is refused and moves no ETH."""
        windows = {"submission": WINDOW, "reveal": WINDOW, "evaluation": WINDOW}
        if which == "too late":
            windows["evaluation"] = MAX_DURATION - 2 * WINDOW + 1 + short
        else:
            windows[which] = short
        at = self._next()
        sub = at + windows["submission"]
        rev = sub + windows["reveal"]
        commitment = bytes(32) if forward else b"\x02" * 32
        call = self.board.fn.createBounty(
            b"\x01" * 32, commitment, 1, 10, 1, sub, rev, rev + windows["evaluation"], 0
        )
        self._try(False, call, self.owners[0], 1)

    @precondition(lambda self: self.bounties)
    @rule(
        index=st.integers(0, 3),
        person=st.integers(0, 3),
        hp=st.sampled_from(HPS),
        salt=st.binary(min_size=32, max_size=32),
    )
    def commit(self, index, person, hp, salt):
        g, who = self._pick(index), self.people[person]
        first = who not in g.order
        ok = g.phase(self._next()) == SUBMISSION
        value = g.bond if first else 0
        commitment = self.board.fn.commitmentOf(g.id, who, hp, salt).call()
        self._try(ok, self.board.fn.commit(g.id, commitment), who, value)
        if ok:
            if first:
                g.order[who] = len(g.order) + 1
                self.paid_in += value
            g.opening[who] = (hp, salt)

    @precondition(lambda self: self.bounties)
    @rule(index=st.integers(0, 3), person=st.integers(0, 3), tamper=st.booleans(), valid=st.integers(0, 3))
    def reveal(self, index, person, tamper, valid):
        g = self._pick(index)
        who = self._likely(valid, [p for p in g.opening if p not in g.revealed], person)
        if valid:
            self._reach(g.sub)
        hp, salt = g.opening.get(who, (HPS[0], bytes(32)))
        if tamper:
            salt = bytes(b ^ 1 for b in salt)
        ok = g.phase(self._next()) == REVEAL and who in g.opening and who not in g.revealed and not tamper
        self._try(ok, self.board.fn.reveal(g.id, hp, salt), who)
        if ok:
            g.revealed.append(who)
            self.credits[who] += g.bond

    @precondition(lambda self: self.bounties)
    @rule(index=st.integers(0, 3), tamper=st.sampled_from(["", "", "digest", "salt"]), wait=st.booleans())
    def reveal_test_data(self, index, tamper, wait):
        """Only in the evaluation window; a zero digest or another salt opens neither kind."""
        g = self._pick(index)
        if wait:
            self._reach(g.rev)
        now = self._next()
        digest, salt = g.test_opening
        if tamper == "digest":
            digest = bytes(32)
        elif tamper == "salt":
            salt = bytes(b ^ 1 for b in salt)
        ok = g.status == "open" and g.rev <= now < g.ev and not g.test_revealed and not tamper
        self._try(ok, self.board.fn.revealTestData(g.id, digest, salt), g.owner)
        if ok:
            g.test_revealed = True

    @precondition(lambda self: self.bounties)
    @rule(
        index=st.integers(0, 3),
        people=st.lists(st.integers(0, 3), max_size=3),
        scores=st.data(),
        valid=st.integers(0, 3),
    )
    def post_scores(self, index, people, scores, valid):
        g = self._pick(index)
        unscored = [p for p in g.revealed if p not in g.scores]
        if valid:
            self._reach(g.rev)
        who = unscored[: len(people) + 1] if valid and unscored else [self.people[i] for i in people]
        accs = [scores.draw(st.integers(0, 1_000_000)) for _ in who]
        phase = g.phase(self._next())
        ok = (
            phase in (EVALUATION, FINALIZABLE)
            and self._next() < g.ev
            and g.test_revealed
            and not g.voided
            and len(set(who)) == len(who)
            and all(p in g.revealed and p not in g.scores for p in who)
        )
        at = self._try(ok, self.board.fn.postScores(g.id, who, accs, b"\x03" * 32), g.owner)
        if ok:
            g.scores.update(zip(who, accs, strict=True))
            if g.arbitrated:
                g.last_scores_at = at

    @precondition(lambda self: self.bounties)
    @rule(index=st.integers(0, 3), caller=st.integers(0, 5), wait=st.booleans())
    def finalize(self, index, caller, wait):
        g = self._pick(index)
        if wait:
            self._reach(g.rev if len(g.scores) == len(g.revealed) else g.ev)
        ok = g.phase(self._next()) == FINALIZABLE
        self._try(ok, self.board.fn.finalize(g.id), self.everyone[caller])
        if ok:
            self._settle(g)

    @precondition(lambda self: any(g.outcome == STALL_SPLIT for g in self.bounties))
    @rule(index=st.integers(0, 3), person=st.integers(0, 3), valid=st.integers(0, 3))
    def claim_share(self, index, person, valid):
        g = self._pick(index)
        who = self._likely(valid, [p for p in g.revealed if p not in g.claimed], person)
        ok = g.outcome == STALL_SPLIT and who in g.revealed and who not in g.claimed
        self._try(ok, self.board.fn.claimShare(g.id), who)
        if ok:
            g.claimed.add(who)
            self.credits[who] += g.reward // len(g.revealed)

    @precondition(lambda self: any(g.status == "open" and not g.order for g in self.bounties))
    @rule(index=st.integers(0, 3))
    def cancel(self, index):
        g = self._pick(index)
        ok = g.status == "open" and not g.order and self._next() < g.sub
        self._try(ok, self.board.fn.cancel(g.id), g.owner)
        if ok:
            g.status = "cancelled"
            self.credits[g.owner] += g.reward
            self._return_owner_bond(g)

    # -- disputes ---------------------------------------------------------------------------------
    @precondition(lambda self: self.bounties)
    @rule(
        index=st.integers(0, 3),
        owner_bond=st.sampled_from([1, 10**15]),
        challenge_bond=st.sampled_from([0, 10**14]),
        period=st.sampled_from([WINDOW, 2 * WINDOW, WINDOW - 1]),
        by_owner=st.integers(0, 3),
    )
    def set_arbitration(self, index, owner_bond, challenge_bond, period, by_owner):
        g = self._pick(index)
        who = g.owner if by_owner else self.people[0]
        ok = (
            g.status == "open"
            and who == g.owner
            and not g.arbitrated
            and not g.order
            and self._next() < g.sub
            and period >= WINDOW
        )
        call = self.board.fn.setArbitration(g.id, self.board.arbitrator.address, challenge_bond, period)
        self._try(ok, call, who, owner_bond)
        if ok:
            g.owner_bond, g.challenge_bond, g.period = owner_bond, challenge_bond, period
            self.paid_in += owner_bond

    @precondition(lambda self: any(g.arbitrated and g.scores for g in self.bounties))
    @rule(
        index=st.integers(0, 3),
        person=st.integers(0, 3),
        victim=st.integers(0, 3),
        valid=st.integers(0, 3),
        wrong_value=st.integers(0, 5),
    )
    def challenge(self, index, person, victim, valid, wrong_value):
        arbitrated = [g for g in self.bounties if g.arbitrated and g.scores]
        g = arbitrated[index % len(arbitrated)]
        challenger = self._likely(valid, g.revealed, person)
        scored = list(g.scores)
        participant = scored[victim % len(scored)] if valid else self.people[victim]
        value = g.challenge_bond + FEE + (1 if wrong_value == 0 else 0)
        now = self._next()
        ok = (
            g.status == "open"
            and g.challengeable(now)
            and challenger in g.revealed
            and participant in g.scores
            and wrong_value != 0
        )
        receipt_at = self._try(
            ok, self.board.fn.challengeScore(g.id, participant, 500_000), challenger, value
        )
        if ok:
            dispute_id = self.board.arbitrator.functions.disputeCount().call() - 1
            g.disputes.append(GhostDispute(dispute_id, challenger, receipt_at))
            self.paid_in += g.challenge_bond  # the fee went on to the arbitrator

    @precondition(lambda self: any(g.open_disputes() for g in self.bounties))
    @rule(which=st.integers(0, 7), ruling=st.sampled_from([0, 1, 2, 1, 2, 3]))
    def rule_dispute(self, which, ruling):
        """The arbiter rules (3 is not a choice: refused)."""
        open_ones = [(g, d) for g in self.bounties for d in g.open_disputes()]
        g, d = open_ones[which % len(open_ones)]
        call = self.board.arbitrator.functions.giveRuling(d.id, ruling)
        self._try(ruling <= 2, call, self.board.arbiter)
        if ruling <= 2:
            self._close_dispute(g, d, ruling == 1)

    @precondition(lambda self: any(g.open_disputes() for g in self.bounties))
    @rule(which=st.integers(0, 7), wait=st.booleans(), caller=st.integers(0, 5))
    def timeout_dispute(self, which, wait, caller):
        """Anyone closes a dispute left unruled for RULING_TIMEOUT; it counts as ruling 1."""
        open_ones = [(g, d) for g in self.bounties for d in g.open_disputes()]
        g, d = open_ones[which % len(open_ones)]
        if wait:
            self._reach(d.created + RULING_TIMEOUT)
        ok = self._next() >= d.created + RULING_TIMEOUT
        self._try(ok, self.board.fn.timeoutDispute(g.id, d.id), self.everyone[caller])
        if ok:
            self._close_dispute(g, d, True)

    @precondition(lambda self: any(self.credits.values()))
    @rule(account=st.integers(0, 5), valid=st.integers(0, 3))
    def withdraw(self, account, valid):
        who = self.everyone[account]
        if valid:
            who = next((a for a in self.everyone if self.credits[a]), who)
        amount = self.credits[who]
        self._try(amount > 0, self.board.fn.withdraw(), who)
        self.paid_out += amount
        self.credits[who] = 0

    @initialize(
        owner=st.integers(0, 1),
        reward=st.integers(1, 10**18),
        bond=st.sampled_from([0, 10**15]),
        min_acc=st.integers(1, 1_000_000),
        committers=st.lists(st.integers(0, 3), min_size=1, max_size=4, unique=True),
        revealers=st.integers(0, 4),
        forward=st.booleans(),
        arbitrated=st.booleans(),
    )
    def first_bounty(self, owner, reward, bond, min_acc, committers, revealers, forward, arbitrated):
        """Start from a bounty with commitments and maybe reveals (and maybe an arbitrator), so runs spend
        their steps on the later phases (splits among several revealers, scoring, ties, disputes)."""
        self.create(owner, reward, bond, min_acc, (WINDOW, WINDOW, WINDOW), forward)
        if arbitrated:
            self.set_arbitration(0, 10**15, 10**14, 2 * WINDOW, by_owner=1)
        for person in committers:
            self.commit(0, person, HPS[person % len(HPS)], bytes([person + 1]) * 32)
        for person in committers[:revealers]:
            self.reveal(0, person, tamper=False, valid=1)
        g = self.bounties[0]
        if arbitrated and g.revealed:  # scored, so the run can challenge, rule and time out
            self.reveal_test_data(0, "", wait=True)
            accuracies = [(min_acc + 99_991 * i) % 1_000_001 for i in range(len(g.revealed))]
            call = self.board.fn.postScores(g.id, g.revealed, accuracies, b"\x03" * 32)
            at = self._try(True, call, g.owner)
            g.scores.update(zip(g.revealed, accuracies, strict=True))
            g.last_scores_at = at

    @precondition(lambda self: self.bounties)
    @rule(index=st.integers(0, 3), which=st.sampled_from(["sub", "rev", "ev"]), offset=st.integers(-1, 0))
    def jump_to_deadline(self, index, which, offset):
        """The next transaction lands one second before, or exactly at, a deadline."""
        target = getattr(self._pick(index), which) + offset - 1
        if target > self.board.now():
            self.board.chain.set_next_timestamp(target)
            self.board.chain.mine()

    @rule(seconds=st.integers(1, 2 * WINDOW))
    def time_jump(self, seconds):
        self.board.chain.set_next_timestamp(self.board.now() + seconds)
        self.board.chain.mine()

    # -- invariants -----------------------------------------------------------------------------
    @invariant()
    def money_is_accounted_for(self):
        held = self.board.balance() - self.start_balance
        owed = sum(self.credits.values()) + sum(g.escrow() for g in self.bounties)
        unclaimed = sum(
            (g.reward // len(g.revealed)) * (len(g.revealed) - len(g.claimed))
            for g in self.bounties
            if g.outcome == STALL_SPLIT
        )
        assert held >= owed  # the protocol's invariant
        assert held == owed + unclaimed == self.paid_in - self.paid_out  # and exactly, in fact
        for who in self.everyone:
            assert self.board.pending(who) == self.credits[who]

    @invariant()
    def phases_only_move_forward(self):
        for g in self.bounties:
            phase = self.board.phase(g)
            assert phase == g.phase(self.board.now())
            if g.last_phase == CANCELLED:
                assert phase == CANCELLED
            elif phase != CANCELLED:
                assert phase >= g.last_phase, f"bounty {g.id} went from phase {g.last_phase} back to {phase}"
            g.last_phase = phase

    def teardown(self):
        try:
            self._drive_to_the_end()
        finally:
            self.board.chain.revert(self.snapshot)

    def _drive_to_the_end(self):
        """Finish every bounty, claim every share, withdraw everything: all ETH must come back out."""
        if self.bounties:
            last = max(g.ev for g in self.bounties)
            if self.board.now() < last:
                self.board.chain.set_next_timestamp(last)
                self.board.chain.mine()
        for g in self.bounties:  # the arbiter rules on what is still open; the challenge periods end
            for d in g.open_disputes():
                self.board.send(self.board.arbitrator.functions.giveRuling(d.id, 2), self.board.arbiter)
                self._close_dispute(g, d, False)
            if g.status == "open" and g.challengeable(self._next()):
                self._reach(g.last_scores_at + g.period)
        for g in self.bounties:
            if g.status == "open":
                self.board.send(self.board.fn.finalize(g.id), self.owners[0], at=self._next())
                self._settle(g)
            view = self.board.bounty(g)
            if g.status == "cancelled":
                assert (view["phase"], view["outcome"]) == (CANCELLED, NO_OUTCOME)
            else:
                assert view["phase"] == FINALIZED and view["outcome"] == g.outcome != NO_OUTCOME
            for who in g.revealed if g.outcome == STALL_SPLIT else []:
                if who not in g.claimed:
                    self.board.send(self.board.fn.claimShare(g.id), who, at=self._next())
                    g.claimed.add(who)
                    self.credits[who] += g.reward // len(g.revealed)
        for who in self.everyone:
            if self.credits[who]:
                self.board.send(self.board.fn.withdraw(), who, at=self._next())
                self.paid_out += self.credits[who]
                self.credits[who] = 0
        assert self.board.balance() == self.start_balance
        assert self.paid_out == self.paid_in


BountyMachine.TestCase.settings = hypothesis_settings(
    max_examples=20,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestBountyInvariants = BountyMachine.TestCase
