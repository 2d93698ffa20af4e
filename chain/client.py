"""A typed client for one deployed BountyBoard.

Writes take a :class:`~chain.accounts.Sender` (a node account or an unlocked keystore) and
return a :class:`TxReceipt` with the decoded events; a refusal becomes a
:class:`~chain.errors.ContractRevert` whose message names the custom error and what to do. Each
write is estimated first, so a transaction the contract would refuse is never sent and never
costs gas. Reads return dataclasses from the contract's views. What only the logs and the calldata hold (the
submission table, the timeline) is read by :class:`chain.index.BoardIndex`, the one reader of
bounty state from logs; it decodes them with :meth:`BountyBoardClient.decode_log` and
:meth:`BountyBoardClient.decode_call`, and turns a decoded struct into hyperparameters with
:func:`hyperparameters_from_struct`, as :meth:`BountyBoardClient.submission_view` does.

Secrets: :meth:`commit` and :meth:`create_bounty` store the salt durably *before* sending;
:meth:`reveal` and :meth:`reveal_test_data` find it again from what the chain holds. A forward-test
bounty (``create_bounty(test_data_digest=None)``) commits to no test file and stores no salt: its
test data is built after the reveal deadline and revealed with salt 0.
Disputes (ERC-792): :meth:`~BountyBoardClient.set_arbitration`, :meth:`~BountyBoardClient.challenge_score`
(the value is :meth:`~BountyBoardClient.challenge_cost`), :meth:`~BountyBoardClient.timeout_dispute`, and the
views :meth:`~BountyBoardClient.arbitration` / :meth:`~BountyBoardClient.dispute`; the arbitrator's side is
:class:`chain.arbitrator.ArbitratorClient`. Both build on :class:`ContractClient` (estimate, send, decode).
Amounts are wei (int) everywhere; deadlines are chain time (:meth:`deadlines_from_now`, from the
connection's clock), each window
at least :data:`MIN_WINDOW_SECONDS` long and the last deadline at most :data:`MAX_BOUNTY_DURATION`
after creation, as the contract enforces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any, TypedDict

from eth_typing import ABI
from eth_utils import event_abi_to_log_topic, get_all_event_abis, to_checksum_address
from hexbytes import HexBytes
from web3.contract.contract import ContractFunction
from web3.types import LogReceipt, TxData, TxParams, Wei
from web3.types import TxReceipt as MinedReceipt

from chain.accounts import Sender
from chain.compile import load_artifact
from chain.errors import (
    ChainError,
    ContractRevert,
    InsufficientFunds,
    NodeUnavailable,
    NonceClash,
    SecretsError,
    decode_revert,
    node_down_message,
    revert_data,
)
from chain.providers import ChainConnection
from chain.secrets import (
    SecretStore,
    SubmissionSecret,
    TestDataSecret,
    new_salt,
    submission_commitment,
    test_data_commitment,
)
from formatting import eth_exact
from protocol import Hyperparameters

GAS_MARGIN = 1.2  # head-room over the estimate; unused gas is not charged
GAS_FLOOR_MARGIN = 10_000
# The contract's bounds on a bounty's windows (BountyBoard.MIN_WINDOW_SECONDS, MAX_BOUNTY_DURATION).
MIN_WINDOW_SECONDS = 5 * 60
MAX_BOUNTY_DURATION = 365 * 86400
ZERO32 = bytes(32)


class Phase(IntEnum):
    SUBMISSION = 0
    REVEAL = 1
    EVALUATION = 2
    FINALIZABLE = 3
    FINALIZED = 4
    CANCELLED = 5

    @property
    def label(self) -> str:
        return self.name.capitalize()


class Outcome(IntEnum):
    NONE = 0
    WINNER_PAID = 1
    BELOW_BAR = 2
    NO_REVEALS = 3
    STALL_SPLIT = 4

    @property
    def label(self) -> str:
        return {
            0: "not settled",
            1: "winner paid",
            2: "no score reached the bar: reward refunded",
            3: "no reveals: reward refunded",
            4: "owner stalled: reward split among revealers",
        }[int(self)]


@dataclass(frozen=True)
class Bounty:
    id: int
    owner: str
    reward: int
    manifest_digest: bytes
    test_data_commitment: bytes
    test_data_digest: bytes
    min_accuracy_ppm: int
    sequence_length: int
    future_period: int
    submission_deadline: int
    reveal_deadline: int
    evaluation_deadline: int
    commit_bond: int
    commit_count: int
    reveal_count: int
    scored_count: int
    test_data_revealed: bool
    phase: Phase
    outcome: Outcome
    leader: str
    best_accuracy_ppm: int
    first_revealer: str
    # created with a zero test-data commitment: the test data is built after the reveal deadline
    forward_test: bool = False

    @property
    def is_open(self) -> bool:
        return self.phase not in (Phase.FINALIZED, Phase.CANCELLED)


@dataclass(frozen=True)
class Submission:
    participant: str
    commit_order: int
    commitment: bytes  # the latest commitment this participant sent
    commit_count: int  # 1 + replacements
    revealed: bool
    hyperparameters: Hyperparameters | None
    scored: bool
    accuracy_ppm: int | None
    share_claimed: bool = False


class SubmissionView(TypedDict):
    """One participant's submission as the contract's ``submissionOf`` view returns it."""

    commitment_prefix: bytes  # the contract keeps a prefix of the commitment until the reveal
    commit_order: int  # 0: never committed
    revealed: bool
    hyperparameters: Hyperparameters | None  # None until revealed
    scored: bool
    accuracy_ppm: int | None  # None until scored
    share_claimed: bool


@dataclass(frozen=True)
class Event:
    name: str
    args: dict[str, Any]
    block: int
    tx_hash: str
    log_index: int
    timestamp: int | None = None


@dataclass(frozen=True)
class TxReceipt:
    hash: str
    block: int
    gas_used: int
    effective_gas_price: int
    status: int
    events: list[Event] = field(default_factory=list)

    @classmethod
    def from_node(cls, receipt: Mapping[str, Any], events: list[Event] | None = None) -> TxReceipt:
        """A receipt as the node returned it (web3's mapping); ``events``: decoded by the caller."""
        return cls(
            hash=HexBytes(receipt["transactionHash"]).to_0x_hex(),
            block=int(receipt["blockNumber"]),
            gas_used=int(receipt["gasUsed"]),
            effective_gas_price=int(receipt.get("effectiveGasPrice") or 0),
            status=int(receipt["status"]),
            events=events or [],
        )

    @property
    def fee(self) -> int:
        return self.gas_used * self.effective_gas_price

    def event(self, name: str) -> Event:
        for item in self.events:
            if item.name == name:
                return item
        raise KeyError(f"no {name} event in transaction {self.hash}")


@dataclass(frozen=True)
class TxPreview:
    """What a wallet shows before it signs: who pays what to whom, and the worst-case fee."""

    sender: str
    to: str
    function: str
    args: tuple[Any, ...]
    value: int
    gas: int
    max_fee_per_gas: int
    max_fee: int  # gas * max_fee_per_gas, the most the sender can be charged in fees
    balance: int
    # what ``to`` is, for the confirmation's "To" line: a contract's name, "new account", "new contract"
    to_name: str = "BountyBoard"

    @property
    def total(self) -> int:
        return self.value + self.max_fee

    @property
    def affordable(self) -> bool:
        return self.balance >= self.total


class DisputeStatus(IntEnum):
    NONE = 0
    OPEN = 1
    RULED = 2
    TIMED_OUT = 3


# ERC-792 rulings as BountyBoard reads them
RULING_REFUSED, RULING_CHALLENGER_RIGHT, RULING_SCORE_STANDS = 0, 1, 2
RULING_TIMEOUT = 30 * 86400  # BountyBoard.RULING_TIMEOUT: after it, anyone may close an unruled dispute
MAX_CHALLENGE_PERIOD = 30 * 86400  # BountyBoard.MAX_CHALLENGE_PERIOD (the shortest: MIN_WINDOW_SECONDS)
# the one arbitrator function the board client calls (any ERC-792 arbitrator has it)
ARBITRATION_COST_ABI: ABI = [
    {
        "type": "function",
        "name": "arbitrationCost",
        "stateMutability": "view",
        "inputs": [{"name": "_extraData", "type": "bytes"}],
        "outputs": [{"name": "cost", "type": "uint256"}],
    }
]


@dataclass(frozen=True)
class Arbitration:
    """A bounty's dispute terms and state (the contract's ``arbitrationOf``)."""

    arbitrator: str
    owner_bond: int  # wei, forfeited to the first challenger who wins
    challenge_bond: int  # wei a challenger deposits besides the arbitration cost
    challenge_period: int  # seconds after the latest scores during which they may be challenged
    last_scores_at: int  # 0 before any scores
    challenge_deadline: int  # last_scores_at + challenge_period; 0 before any scores
    open_disputes: int
    voided: bool  # a challenger won: the scores are void, the bounty settles as a stall split
    owner_bond_paid: bool  # credited to a winning challenger, or back to the owner at finalize/cancel


@dataclass(frozen=True)
class Dispute:
    """One challenge of a posted score (the contract's ``disputeOf``)."""

    bounty_id: int
    dispute_id: int  # the arbitrator's id
    arbitrator: str
    challenger: str
    participant: str  # whose score is challenged
    posted_accuracy_ppm: int
    claimed_accuracy_ppm: int
    created_at: int
    timeout_at: int  # from then anyone may close it (counts as ruling 1) while it is open
    ruled: bool  # ruled by the arbitrator or closed by the timeout rule
    ruling: int  # 1 challenger right (also after a timeout), 2 score stands, 0 refused
    status: str  # a short text for a table
    state: DisputeStatus = DisputeStatus.OPEN

    @property
    def challenger_won(self) -> bool:
        return self.ruled and self.ruling == RULING_CHALLENGER_RIGHT


def dispute_status_text(state: DisputeStatus, ruling: int) -> str:
    if state == DisputeStatus.OPEN:
        return "open: waiting for the arbitrator"
    if state == DisputeStatus.TIMED_OUT:
        return "timed out: counted as the challenger being right"
    if state == DisputeStatus.RULED:
        return {
            RULING_CHALLENGER_RIGHT: "ruled: the challenger is right",
            RULING_SCORE_STANDS: "ruled: the posted score stands",
        }.get(ruling, "ruled: the arbitrator refused to rule (the score stands)")
    return "unknown dispute"


# (function name, decoded arguments) of a transaction sent straight to the board
Call = tuple[str, dict[str, Any]]


def hyperparameters_from_struct(value: Sequence[int] | Mapping[str, int]) -> Hyperparameters:
    """The contract's ``Hyperparameters`` struct as web3 decodes it: a tuple in Solidity order, or
    (web3 8, and the index's saved calldata) a dict keyed by the Solidity field names (``lstmLayers``,
    ...), which name :class:`protocol.Hyperparameters`'s fields in camelCase."""
    if hasattr(value, "items"):
        return Hyperparameters.from_dict({_snake_case(k): int(v) for k, v in value.items()})
    return Hyperparameters.from_tuple(tuple(value))


def _snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _bytes(value: Any) -> bytes:
    return bytes(HexBytes(value))


class ContractClient:
    """One deployed contract's writes and reads, done the way a wallet does them.

    Each write is estimated first (a refusal raises here and nothing is sent), sent with a margin,
    waited for and returned as a :class:`TxReceipt` with the contract's decoded events; a refusal
    becomes a :class:`~chain.errors.ContractRevert` with the custom error's sentence (the errors of
    ``abi``). :class:`BountyBoardClient` and :class:`chain.arbitrator.ArbitratorClient` build on it.
    """

    name = "The contract"

    def __init__(self, connection: ChainConnection, address: str, abi: ABI) -> None:
        self.connection = connection
        self.w3 = connection.w3
        self.abi: ABI = abi
        self.address = to_checksum_address(address)
        self.contract = self.w3.eth.contract(address=self.address, abi=abi)
        self._event_by_topic = {bytes(event_abi_to_log_topic(e)): e["name"] for e in get_all_event_abis(abi)}

    @property
    def chain_id(self) -> int:
        return self.connection.chain_id

    def balance(self, address: str) -> int:
        return int(self.w3.eth.get_balance(to_checksum_address(address)))

    # ------------------------------------------------------------------------ sending

    def _function(self, fn: str, args: Sequence[Any]) -> ContractFunction:
        try:
            return getattr(self.contract.functions, fn)(*args)
        except AttributeError as exc:
            raise ChainError(f"{self.name} has no function {fn!r}.") from exc

    def _tx(self, fn: str, args: Sequence[Any], value: int, sender: str) -> TxParams:
        data = self._function(fn, args)._encode_transaction_data()
        return {
            "from": to_checksum_address(sender),
            "to": self.address,
            "data": data,
            "value": Wei(int(value)),
        }

    def estimate_gas(self, fn: str, args: Sequence[Any], value: int = 0, sender: str | None = None) -> int:
        """Gas the call needs now; raises ContractRevert (with its sentence) if the contract would refuse."""
        frm = sender or self._any_sender()
        try:
            return int(self.w3.eth.estimate_gas(self._tx(fn, args, value, frm)))
        except Exception as exc:
            raise self._translate(exc, fn, args, frm, value) from None

    def preview(self, fn: str, args: Sequence[Any], value: int, sender: str) -> TxPreview:
        """from/to/function/value/gas/fee for a wallet-style confirmation; raises if it would revert."""
        gas = self.estimate_gas(fn, args, value, sender)
        gas = self._with_margin(gas)
        max_fee_per_gas = self._max_fee_per_gas()
        return TxPreview(
            sender=to_checksum_address(sender),
            to=self.address,
            function=fn,
            args=tuple(args),
            value=int(value),
            gas=gas,
            max_fee_per_gas=max_fee_per_gas,
            max_fee=gas * max_fee_per_gas,
            balance=self.balance(sender),
        )

    def _max_fee_per_gas(self) -> int:
        block = self.w3.eth.get_block("latest")
        base = block.get("baseFeePerGas")
        if base is None:
            return int(self.w3.eth.gas_price)
        try:
            tip = int(self.w3.eth.max_priority_fee)
        except Exception:
            tip = 10**9
        return 2 * int(base) + tip

    @staticmethod
    def _with_margin(gas: int) -> int:
        return max(int(gas * GAS_MARGIN), gas + GAS_FLOOR_MARGIN)

    def transact(
        self, sender: Sender, fn: str, args: Sequence[Any], value: int = 0, gas: int | None = None
    ) -> TxReceipt:
        """Estimate (a refusal raises here, nothing is sent), send, wait, decode the events."""
        with self.connection.lock:
            if gas is None:
                gas = self.estimate_gas(fn, args, value, sender.address)
            gas = self._with_margin(gas)
            tx = self._tx(fn, args, value, sender.address)
            tx.pop("from")
            tx["gas"] = gas
            try:
                tx_hash = sender.send(self.connection, tx)
            except Exception as exc:
                raise self._translate(exc, fn, args, sender.address, value) from None
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)
        result = self._receipt(receipt)
        if result.status != 1:
            raise self._mined_revert(tx, sender.address, receipt, fn, args, value)
        return result

    def _mined_revert(
        self, tx: TxParams, sender: str, receipt: MinedReceipt, fn: str, args: Sequence[Any], value: int
    ) -> ChainError:
        """A transaction that was mined but failed (state changed between estimate and mining)."""
        try:
            self.w3.eth.call({**tx, "from": sender}, receipt["blockNumber"] - 1)
        except Exception as exc:
            return self._translate(exc, fn, args, sender, value)
        return ContractRevert(
            f"{_action(fn)} failed in block {receipt['blockNumber']} (ran out of gas or was refused)."
        )

    def _receipt(self, receipt: MinedReceipt) -> TxReceipt:
        events = [self.decode_log(log) for log in receipt["logs"] if log["address"] == self.address]
        return TxReceipt.from_node(receipt, [e for e in events if e is not None])

    def _translate(
        self, exc: Exception, fn: str, args: Sequence[Any], sender: str, value: int, context: bool = True
    ) -> ChainError:
        """Any failure of a call, estimate or send as a ChainError with a sentence."""
        if isinstance(exc, ChainError):
            return exc
        action = _action(fn)
        data = revert_data(exc)
        if data is not None:
            return decode_revert(data, self.abi, action, self._context(args) if context else None)
        text = str(exc)
        lowered = text.lower()
        if isinstance(exc, ConnectionError | OSError) or type(exc).__name__ in {
            "ConnectionError",
            "ReadTimeout",
        }:
            return NodeUnavailable(node_down_message(self.connection.endpoint))
        if "insufficient funds" in lowered or "cannot afford" in lowered or "sender balance" in lowered:
            return InsufficientFunds(
                f"{action} needs {eth_exact(value)} plus gas, but {to_checksum_address(sender)} holds only "
                f"{eth_exact(self.balance(sender))}. Fund the account or pick another one."
            )
        if "nonce" in lowered or "already known" in lowered or "underpriced" in lowered:
            return NonceClash(
                f"{action} clashed with another transaction from {to_checksum_address(sender)} (same nonce); "
                "wait until it is mined, then try again."
            )
        return ChainError(f"{action} failed: {text}")

    def _context(self, args: Sequence[Any]) -> dict[str, Any]:
        """What an error sentence may mention beyond the error's own arguments (none here)."""
        return {}

    def _any_sender(self) -> str:
        accounts = self.connection.accounts()
        return accounts[0] if accounts else "0x0000000000000000000000000000000000000001"

    def _view(self, fn: str, *args: Any) -> Any:
        try:
            return getattr(self.contract.functions, fn)(*args).call()
        except Exception as exc:
            raise self._translate(exc, fn, args, self._any_sender(), 0, context=False) from None

    # ------------------------------------------------------------------------ decoding (for the index)

    def decode_log(self, log: LogReceipt) -> Event | None:
        """One of this board's logs as an :class:`Event` (plain values); None for a log it did not emit."""
        topics = log.get("topics") or []
        name = self._event_by_topic.get(bytes(HexBytes(topics[0]))) if topics else None
        if name is None:
            return None
        decoded = getattr(self.contract.events, name)().process_log(log)
        return Event(
            name=name,
            args={k: plain_value(v) for k, v in decoded["args"].items()},
            block=int(log["blockNumber"]),
            tx_hash=HexBytes(log["transactionHash"]).to_0x_hex(),
            log_index=int(log["logIndex"]),
        )


class BountyBoardClient(ContractClient):
    """Every protocol function of one BountyBoard, typed, with reads built for a dashboard."""

    name = "BountyBoard"

    def __init__(
        self,
        connection: ChainConnection,
        address: str,
        abi: ABI | None = None,
        secrets: SecretStore | None = None,
        from_block: int = 0,
    ) -> None:
        super().__init__(connection, address, load_artifact()["abi"] if abi is None else abi)
        self.secrets = secrets or SecretStore.open()
        self.from_block = from_block

    # ------------------------------------------------------------------------ time & money

    def now(self) -> int:
        """The chain's clock (:meth:`ChainConnection.latest_timestamp`); never the wall clock."""
        return self.connection.latest_timestamp()

    def next_block_time(self) -> int:
        """When the next block will likely be mined (:meth:`ChainConnection.next_block_time`)."""
        return self.connection.next_block_time()

    def deadlines_from_now(self, submission_s: int, reveal_s: int, evaluation_s: int) -> tuple[int, int, int]:
        """Three deadlines, each window's length in seconds after the previous one, counted from the
        next block's time (:meth:`next_block_time`, where the creating transaction lands).

        Refused here, as the contract would: a window shorter than ``MIN_WINDOW_SECONDS`` (5 minutes),
        or windows adding up to more than ``MAX_BOUNTY_DURATION`` (365 days). A window of exactly the
        minimum can still be refused if the transaction is mined later than the next block.
        """
        windows = {"submission": submission_s, "reveal": reveal_s, "evaluation": evaluation_s}
        for name, seconds in windows.items():
            if int(seconds) < MIN_WINDOW_SECONDS:
                raise ChainError(
                    f"The {name} window would last {int(seconds)} s; each window (submission, reveal, "
                    f"evaluation) must last at least {MIN_WINDOW_SECONDS // 60} minutes. Choose a longer one."
                )
        total = sum(int(s) for s in windows.values())
        if total > MAX_BOUNTY_DURATION:
            raise ChainError(
                f"The three windows add up to {total / 86400:.1f} days; a bounty must end within "
                f"{MAX_BOUNTY_DURATION // 86400} days of its creation. Choose shorter windows."
            )
        start = self.next_block_time()
        submission = start + int(submission_s)
        reveal = submission + int(reveal_s)
        return submission, reveal, reveal + int(evaluation_s)

    def _context(self, args: Sequence[Any]) -> dict[str, Any]:
        """What an error sentence may mention beyond the error's own arguments (the bounty's phase now)."""
        if not args or not isinstance(args[0], int) or isinstance(args[0], bool):
            return {}
        try:
            return {"phase": self.phase(args[0]).label.lower()}
        except Exception:
            return {}

    # ------------------------------------------------------------------------ owner writes

    def create_bounty(
        self,
        sender: Sender,
        *,
        manifest_digest: bytes,
        test_data_digest: bytes | None = None,
        reward: int,
        min_accuracy_ppm: int,
        sequence_length: int,
        future_period: int,
        submission_deadline: int,
        reveal_deadline: int,
        evaluation_deadline: int,
        commit_bond: int = 0,
        test_data_cid: str = "",
        salt: bytes | None = None,
    ) -> tuple[int, TxReceipt]:
        """Post a bounty; the test-data salt is stored before the transaction is sent.

        ``test_data_digest`` is the digest of the owner's hidden test file, committed with a salt. With
        ``None`` the bounty is a forward test: it sends a zero commitment and stores no secret (the
        test data is built by the manifest's rule after the reveal deadline), so ``salt`` and
        ``test_data_cid`` must not be given.
        """
        secret: TestDataSecret | None = None
        if test_data_digest is None:
            if salt is not None or test_data_cid:
                raise ChainError(
                    "A forward-test bounty commits to no test file: give a test-data digest to commit to "
                    "the owner's own test file, or leave out the salt and the test file's CID."
                )
            commitment = ZERO32
        else:
            secret = TestDataSecret(
                chain_id=self.chain_id,
                contract=self.address,
                owner=sender.address,
                test_data_digest=_bytes(test_data_digest),
                salt=salt or new_salt(),
                test_data_cid=test_data_cid,
            )
            commitment = secret.commitment
        args = (
            _bytes(manifest_digest),
            commitment,
            int(min_accuracy_ppm),
            int(sequence_length),
            int(future_period),
            int(submission_deadline),
            int(reveal_deadline),
            int(evaluation_deadline),
            int(commit_bond),
        )
        # a refusal raises here, before anything is stored
        gas = self.estimate_gas("createBounty", args, reward, sender.address)
        if secret is not None:
            self.secrets.save(secret)
        receipt = self.transact(sender, "createBounty", args, value=int(reward), gas=gas)
        bounty_id = int(receipt.event("BountyCreated").args["bountyId"])
        if secret is not None:
            self.secrets.save(replace(secret, bounty_id=bounty_id))
        return bounty_id, receipt

    def test_data_opening(
        self, bounty_id: int, test_data_digest: bytes | None = None, salt: bytes | None = None
    ) -> tuple[bytes, bytes]:
        """The (digest, salt) that ``revealTestData`` takes for this bounty.

        Committed bounty: from the secret store unless both are given. Forward-test bounty: the
        digest of the test file the owner built by the manifest's rule (required), and salt 0.
        """
        bounty = self.bounty(bounty_id)
        if bounty.forward_test:
            if test_data_digest is None:
                raise ChainError(
                    f"Bounty {bounty_id} is a forward test: build its test file by the manifest's rule "
                    "(after the reveal deadline), add it to IPFS and reveal the digest of its CID."
                )
            return _bytes(test_data_digest), ZERO32 if salt is None else _bytes(salt)
        if test_data_digest is None or salt is None:
            stored = self.secrets.test_data(self.chain_id, self.address, bounty.test_data_commitment)
            return stored.test_data_digest, stored.salt
        return _bytes(test_data_digest), _bytes(salt)

    def reveal_test_data(
        self, sender: Sender, bounty_id: int, test_data_digest: bytes | None = None, salt: bytes | None = None
    ) -> TxReceipt:
        """Publish the test data's digest (evaluation window only, from the reveal deadline).

        Committed bounty: digest and salt come from the secret store unless given. Forward-test
        bounty: pass the digest of the test file built by the manifest's rule; salt 0 is sent.
        """
        digest, opening_salt = self.test_data_opening(bounty_id, test_data_digest, salt)
        return self.transact(sender, "revealTestData", (int(bounty_id), digest, opening_salt))

    def post_scores(
        self,
        sender: Sender,
        bounty_id: int,
        scores: Mapping[str, int] | Iterable[tuple[str, int]],
        report_digest: bytes,
    ) -> TxReceipt:
        pairs = list(scores.items()) if isinstance(scores, Mapping) else list(scores)
        participants = [to_checksum_address(p) for p, _ in pairs]
        accuracies = [int(a) for _, a in pairs]
        return self.transact(
            sender, "postScores", (int(bounty_id), participants, accuracies, _bytes(report_digest))
        )

    def cancel(self, sender: Sender, bounty_id: int) -> TxReceipt:
        return self.transact(sender, "cancel", (int(bounty_id),))

    def set_arbitration(
        self,
        sender: Sender,
        bounty_id: int,
        arbitrator: str,
        owner_bond: int,
        challenge_bond: int,
        challenge_period: int,
    ) -> TxReceipt:
        """Name the bounty's ERC-792 arbitrator and deposit the owner's bond (owner; before any commit)."""
        args = (int(bounty_id), to_checksum_address(arbitrator), int(challenge_bond), int(challenge_period))
        return self.transact(sender, "setArbitration", args, value=int(owner_bond))

    # ------------------------------------------------------------------------ participant writes

    def commitment(self, bounty_id: int, participant: str, hp: Hyperparameters, salt: bytes) -> bytes:
        """Computed locally, exactly as the contract's ``commitmentOf``."""
        return submission_commitment(self.chain_id, self.address, bounty_id, participant, hp, salt)

    def commit(
        self, sender: Sender, bounty_id: int, hp: Hyperparameters, salt: bytes | None = None
    ) -> tuple[SubmissionSecret, TxReceipt]:
        """Commit (or replace) a submission; the salt is stored before the transaction is sent.

        The bond is sent with a first commit only, as the contract requires.
        """
        secret = SubmissionSecret(
            chain_id=self.chain_id,
            contract=self.address,
            bounty_id=int(bounty_id),
            participant=to_checksum_address(sender.address),
            hyperparameters=hp,
            salt=salt or new_salt(),
        )
        view = self.submission_view(bounty_id, sender.address)
        value = 0 if view["commit_order"] else self.bounty(bounty_id).commit_bond
        args = (int(bounty_id), secret.commitment)
        gas = self.estimate_gas("commit", args, value, sender.address)  # a refusal stores nothing
        self.secrets.save(secret)
        return secret, self.transact(sender, "commit", args, value=value, gas=gas)

    def reveal(
        self, sender: Sender, bounty_id: int, hp: Hyperparameters | None = None, salt: bytes | None = None
    ) -> TxReceipt:
        """Reveal the committed submission; hyperparameters and salt come from the secret store by default."""
        if hp is None or salt is None:
            secret = self.stored_secret(bounty_id, sender.address)
            hp, salt = secret.hyperparameters, secret.salt
        return self.transact(sender, "reveal", (int(bounty_id), hp.as_tuple(), _bytes(salt)))

    def stored_secret(self, bounty_id: int, participant: str) -> SubmissionSecret:
        """The stored secret matching the commitment the chain holds for ``participant``.

        The contract keeps a prefix of the commitment until the reveal; after a replacement commit
        only the secret with that prefix can open it.
        """
        prefix = self.submission_view(bounty_id, participant)["commitment_prefix"]
        stored = self.secrets.submissions(self.chain_id, self.address, bounty_id, participant)
        if not stored:  # raises the "no salt stored on this machine" message
            return self.secrets.submission(self.chain_id, self.address, bounty_id, participant)
        matching = [s for s in stored if s.commitment[: len(prefix)] == prefix] if any(prefix) else stored
        if not matching:
            raise SecretsError(
                f"The salts stored here for {to_checksum_address(participant)} on bounty {bounty_id} do not "
                "match the commitment on chain (it was made from another machine or data folder); import the "
                "secrets file exported there."
            )
        return matching[-1]

    def claim_share(self, sender: Sender, bounty_id: int) -> TxReceipt:
        return self.transact(sender, "claimShare", (int(bounty_id),))

    def challenge_cost(self, bounty_id: int) -> int:
        """What ``challengeScore`` must carry now: the challenge bond plus the arbitrator's fee."""
        terms = self.arbitration(bounty_id)
        if terms is None:
            raise ChainError(f"Bounty #{bounty_id} names no arbitrator, so its scores cannot be challenged.")
        return terms.challenge_bond + self.arbitration_cost(terms.arbitrator)

    def arbitration_cost(self, arbitrator: str) -> int:
        """The ERC-792 arbitrator's fee for a new dispute (``arbitrationCost("")``)."""
        contract = self.w3.eth.contract(address=to_checksum_address(arbitrator), abi=ARBITRATION_COST_ABI)
        try:
            return int(contract.functions.arbitrationCost(b"").call())
        except Exception as exc:
            raise self._translate(exc, "arbitrationCost", (), self._any_sender(), 0, context=False) from None

    def challenge_score(
        self, sender: Sender, bounty_id: int, participant: str, claimed_accuracy_ppm: int
    ) -> tuple[int, TxReceipt]:
        """Challenge ``participant``'s posted score (the sender must have revealed); returns the
        arbitrator's dispute id. The value sent is :meth:`challenge_cost`."""
        args = (int(bounty_id), to_checksum_address(participant), int(claimed_accuracy_ppm))
        receipt = self.transact(sender, "challengeScore", args, value=self.challenge_cost(bounty_id))
        return int(receipt.event("ScoreChallenged").args["disputeId"]), receipt

    def timeout_dispute(self, sender: Sender, bounty_id: int, dispute_id: int) -> TxReceipt:
        """Close a dispute its arbitrator left unruled for ``RULING_TIMEOUT``; counts as ruling 1."""
        return self.transact(sender, "timeoutDispute", (int(bounty_id), int(dispute_id)))

    def finalize(self, sender: Sender, bounty_id: int) -> TxReceipt:
        return self.transact(sender, "finalize", (int(bounty_id),))

    def withdraw(self, sender: Sender) -> TxReceipt:
        return self.transact(sender, "withdraw", ())

    # ------------------------------------------------------------------------ reads

    def bounty_count(self) -> int:
        return int(self._view("bountyCount"))

    def bounty(self, bounty_id: int) -> Bounty:
        v = self._view("getBounty", int(bounty_id))
        return Bounty(
            id=int(v[0]),
            owner=v[1],
            reward=int(v[2]),
            manifest_digest=_bytes(v[3]),
            test_data_commitment=_bytes(v[4]),
            test_data_digest=_bytes(v[5]),
            min_accuracy_ppm=int(v[6]),
            sequence_length=int(v[7]),
            future_period=int(v[8]),
            submission_deadline=int(v[9]),
            reveal_deadline=int(v[10]),
            evaluation_deadline=int(v[11]),
            commit_bond=int(v[12]),
            commit_count=int(v[13]),
            reveal_count=int(v[14]),
            scored_count=int(v[15]),
            test_data_revealed=bool(v[16]),
            phase=Phase(int(v[17])),
            outcome=Outcome(int(v[18])),
            leader=v[19],
            best_accuracy_ppm=int(v[20]),
            first_revealer=v[21],
            forward_test=bool(v[22]),
        )

    def bounties(self) -> list[Bounty]:
        """Every bounty, newest first."""
        return [self.bounty(i) for i in range(self.bounty_count(), 0, -1)]

    def phase(self, bounty_id: int) -> Phase:
        return Phase(int(self._view("phaseOf", int(bounty_id))))

    def pending_withdrawal(self, address: str) -> int:
        return int(self._view("pendingWithdrawal", to_checksum_address(address)))

    def arbitration(self, bounty_id: int) -> Arbitration | None:
        """The bounty's dispute terms and state; None when it names no arbitrator."""
        v = self._view("arbitrationOf", int(bounty_id))
        if int(v[0], 16) == 0:  # the zero address: no arbitrator
            return None
        return Arbitration(
            arbitrator=to_checksum_address(v[0]),
            owner_bond=int(v[1]),
            challenge_bond=int(v[2]),
            challenge_period=int(v[3]),
            last_scores_at=int(v[4]),
            challenge_deadline=int(v[5]),
            open_disputes=int(v[6]),
            voided=bool(v[7]),
            owner_bond_paid=bool(v[8]),
        )

    def dispute(self, arbitrator: str, dispute_id: int) -> Dispute:
        """One dispute by its arbitrator and the arbitrator's id; ChainError if the board has none."""
        v = self._view("disputeOf", to_checksum_address(arbitrator), int(dispute_id))
        state = DisputeStatus(int(v[9]))
        if state == DisputeStatus.NONE:
            raise ChainError(
                f"The arbitrator {to_checksum_address(arbitrator)} holds no dispute #{dispute_id} on this "
                "board; pick one from the bounty's disputes."
            )
        ruling = int(v[10])
        return Dispute(
            bounty_id=int(v[0]),
            dispute_id=int(v[1]),
            arbitrator=to_checksum_address(v[2]),
            challenger=to_checksum_address(v[3]),
            participant=to_checksum_address(v[4]),
            posted_accuracy_ppm=int(v[5]),
            claimed_accuracy_ppm=int(v[6]),
            created_at=int(v[7]),
            timeout_at=int(v[8]),
            ruled=state in (DisputeStatus.RULED, DisputeStatus.TIMED_OUT),
            ruling=ruling,
            status=dispute_status_text(state, ruling),
            state=state,
        )

    def submission_view(self, bounty_id: int, participant: str) -> SubmissionView:
        """One participant's submission straight from the contract (one call)."""
        v = self._view("submissionOf", int(bounty_id), to_checksum_address(participant))
        return {
            "commitment_prefix": _bytes(v[0]),
            "commit_order": int(v[1]),
            "revealed": bool(v[2]),
            "hyperparameters": hyperparameters_from_struct(v[3]) if v[2] else None,
            "scored": bool(v[4]),
            "accuracy_ppm": int(v[5]) if v[4] else None,
            "share_claimed": bool(v[6]),
        }

    def decode_call(self, tx: TxData | Mapping[str, Any]) -> Call | None:
        """The function and arguments of a transaction sent straight to this board; None for any other
        (sent elsewhere, e.g. through a multisig, or input that is not one of the board's functions)."""
        if not tx.get("to") or to_checksum_address(tx["to"]) != self.address:
            return None
        try:
            function, params = self.contract.decode_function_input(tx["input"])
        except Exception:
            return None
        return function.fn_name, plain_value(params)


def plain_value(value: Any) -> Any:
    """web3's decoded values (HexBytes, AttributeDict, lists) as plain bytes, tuples and dicts,
    so they compare, hash and serialize the same whichever provider decoded them."""
    if isinstance(value, bytes | HexBytes):
        return bytes(value)
    if isinstance(value, tuple | list):
        return tuple(plain_value(v) for v in value)
    if hasattr(value, "items"):
        return {k: plain_value(v) for k, v in value.items()}
    return value


def _action(fn: str) -> str:
    return {
        "createBounty": "Creating the bounty",
        "commit": "Committing",
        "reveal": "Revealing",
        "revealTestData": "Revealing the test data",
        "postScores": "Posting the scores",
        "finalize": "Finalizing",
        "claimShare": "Claiming the share",
        "cancel": "Cancelling the bounty",
        "withdraw": "Withdrawing",
        "setArbitration": "Setting the arbitration",
        "challengeScore": "Challenging the score",
        "timeoutDispute": "Closing the timed-out dispute",
        "arbitrationCost": "Asking the arbitrator its fee",
        "giveRuling": "Giving the ruling",
        "withdrawFees": "Withdrawing the arbitration fees",
    }.get(fn, f"Calling {fn}")


__all__ = [
    "MAX_BOUNTY_DURATION",
    "MAX_CHALLENGE_PERIOD",
    "MIN_WINDOW_SECONDS",
    "RULING_CHALLENGER_RIGHT",
    "RULING_REFUSED",
    "RULING_SCORE_STANDS",
    "RULING_TIMEOUT",
    "Arbitration",
    "Bounty",
    "BountyBoardClient",
    "Call",
    "ContractClient",
    "Dispute",
    "DisputeStatus",
    "Event",
    "Outcome",
    "Phase",
    "Submission",
    "SubmissionView",
    "TxPreview",
    "TxReceipt",
    "hyperparameters_from_struct",
    "plain_value",
    "test_data_commitment",
]
