"""Every failure the chain layer reports, as an exception whose message a person can act on.

The dashboard shows ``str(error)`` as it is, so each message says what happened and what to do,
in plain words, without a stack trace or a hex blob. :func:`revert_data` digs the raw revert data
out of whatever web3 or a node raised for a call, an estimate or a mined transaction, and
:func:`decode_revert` turns it into a :class:`ContractRevert` naming the contract's custom error
(one sentence per error in :data:`EXPLAINERS`, BountyBoard's and the dev chains' SimpleArbitrator's).
The client (``chain.client.ContractClient._translate``) maps the other failures web3 and the nodes raise
(connection refused, insufficient funds, nonce too low) onto the classes below.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address

from formatting import eth_exact, hhmm, moment, seconds_exact, utc


class ChainError(Exception):
    """Base of every error the chain layer raises; ``str()`` is a sentence for a person."""


class NodeUnavailable(ChainError):
    """No Ethereum node answers at the configured address."""


class WrongChain(ChainError):
    """The node answers for another chain id than the one expected."""


class ContractNotDeployed(ChainError):
    """No BountyBoard at the remembered address (or none deployed yet) on this chain."""


class NotABountyBoard(ChainError):
    """The address holds a contract, but not this release's BountyBoard (its code differs)."""


class InsufficientFunds(ChainError):
    """The sender cannot pay the value plus the gas."""


class NonceClash(ChainError):
    """Another transaction from the same account used this nonce first."""


class AccountError(ChainError):
    """A keystore or account problem: wrong password, unknown account, bad key file."""


class SecretsError(ChainError):
    """Salt storage problems: a missing secret, or an export file that does not validate."""


class ContractRevert(ChainError):
    """The contract refused the call; ``error_name`` and ``args`` give the custom error."""

    def __init__(self, message: str, error_name: str = "", args: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.error_name = error_name
        self.error_args = dict(args or {})


NODE_DOWN_HINT = "start it or set HYPERBOUNTY_CHAIN=embedded."


def node_down_message(url: str) -> str:
    return f"No Ethereum node answers at {url}; {NODE_DOWN_HINT}"


# ---------------------------------------------------------------------------------------------
# Custom errors of BountyBoard: one sentence each. The function receives the decoded arguments
# by name and returns the message. Unknown errors still get a readable fallback.
# ---------------------------------------------------------------------------------------------

Explainer = Callable[[dict[str, Any]], str]

REVERT_SELECTOR_ERROR = function_signature_to_4byte_selector("Error(string)")
REVERT_SELECTOR_PANIC = function_signature_to_4byte_selector("Panic(uint256)")


def _sig(abi_item: Mapping[str, Any]) -> str:
    return f"{abi_item['name']}({','.join(_abi_type(i) for i in abi_item.get('inputs', []))})"


def _abi_type(item: Mapping[str, Any]) -> str:
    kind = item["type"]
    if kind.startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in item["components"]) + ")" + kind[len("tuple") :]
    return kind


def error_abis(abi: Sequence[Mapping[str, Any]]) -> dict[bytes, Mapping[str, Any]]:
    """The contract's custom errors keyed by their 4-byte selector."""
    return {function_signature_to_4byte_selector(_sig(e)): e for e in abi if e.get("type") == "error"}


def _normalise(value: Any, abi_type: str) -> Any:
    if abi_type == "address":
        return to_checksum_address(value)
    if abi_type.startswith("bytes") and isinstance(value, bytes):
        return "0x" + value.hex()
    return value


def decode_error_args(abi_item: Mapping[str, Any], payload: bytes) -> dict[str, Any]:
    inputs = abi_item.get("inputs", [])
    values = abi_decode([_abi_type(i) for i in inputs], payload)
    return {
        (i.get("name") or f"arg{n}"): _normalise(v, i["type"])
        for n, (i, v) in enumerate(zip(inputs, values, strict=True))
    }


def decode_revert(
    data: bytes | str | None,
    abi: Sequence[Mapping[str, Any]],
    action: str = "",
    context: Mapping[str, Any] | None = None,
) -> ContractRevert:
    """The revert data of BountyBoard as a ContractRevert with a sentence (``action`` prefixes it)."""
    raw = _as_bytes(data)
    prefix = f"{action} failed: " if action else ""
    if len(raw) < 4:
        return ContractRevert(
            prefix + "the contract refused the transaction without a reason (out of gas, or a call to a "
            "function that does not exist on this contract). Check the contract address and try again."
        )
    selector, payload = raw[:4], raw[4:]
    if selector == REVERT_SELECTOR_ERROR:
        (reason,) = abi_decode(["string"], payload)
        return ContractRevert(prefix + f"the contract refused it: {reason}.", "Error", {"reason": reason})
    if selector == REVERT_SELECTOR_PANIC:
        (code,) = abi_decode(["uint256"], payload)
        return ContractRevert(
            prefix
            + f"the contract hit an internal check (panic code {code:#x}); this is a bug, please report it.",
            "Panic",
            {"code": code},
        )
    known = error_abis(abi)
    if selector not in known:
        return ContractRevert(
            prefix + f"the contract refused it with an unknown error 0x{selector.hex()}; "
            "the contract at this address may be a different version than this dashboard expects."
        )
    item = known[selector]
    try:
        args = decode_error_args(item, payload)
    except Exception:  # malformed payload: still name the error
        args = {}
    return ContractRevert(explain(item["name"], args, context), item["name"], args)


def revert_data(exc: BaseException) -> bytes | None:
    """The raw revert data inside whatever a node or web3 raised, or None if it is not a revert.

    web3 gives ``ContractLogicError.data`` (hex); eth-tester raises ``TransactionFailed`` whose
    message ends in the Python repr of the bytes; some nodes put hex after "execution reverted".
    """
    data = getattr(exc, "data", None)
    if isinstance(data, str | bytes) and data and not isinstance(data, dict):
        raw = _as_bytes(data)
        if raw or data in ("0x", b""):
            return raw
    text = str(exc.args[0]) if exc.args else str(exc)
    if type(exc).__name__ not in {"TransactionFailed", "ContractLogicError", "ContractCustomError"} and (
        "execution reverted" not in text
    ):
        return None
    match = re.search(r"execution reverted(?::\s*(.*))?$", text, re.DOTALL)
    if not match:
        return b""
    tail = (match.group(1) or "").strip()
    if tail.startswith(("b'", 'b"')):
        try:
            value = ast.literal_eval(tail)
        except (ValueError, SyntaxError):
            return b""
        return value if isinstance(value, bytes) else b""
    if tail.startswith("0x"):
        return _as_bytes(tail.split()[0])
    return b""


def _as_bytes(data: bytes | str | None) -> bytes:
    if data is None:
        return b""
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    text = str(data)
    if text.startswith("0x"):
        text = text[2:]
    try:
        return bytes.fromhex(text)
    except ValueError:
        return b""


def explain(name: str, args: Mapping[str, Any], context: Mapping[str, Any] | None = None) -> str:
    """The sentence for one custom error; ``context`` may add the bounty's phase now."""
    explainer = EXPLAINERS.get(name)
    if explainer is None:
        details = ", ".join(f"{k}={v}" for k, v in args.items())
        return f"the contract refused it ({name}{': ' + details if details else ''})."
    return explainer({**(context or {}), **args})


def _at(a: Mapping[str, Any], key: str) -> str:
    """A moment as HH:MM UTC when it falls on the chain's current day, else with its date."""
    return moment(a[key], a.get("now"))


def _id(a: Mapping[str, Any]) -> str:
    return f"bounty #{a.get('bountyId', '?')}"


def _now_in(a: Mapping[str, Any]) -> str:
    phase = a.get("phase")
    if phase:
        return f"this bounty is now in its {phase} {'window' if phase in _WINDOWS else 'phase'}"
    return f"the chain's clock reads {hhmm(a.get('now', 0))}"


_WINDOWS = {"submission", "reveal", "evaluation"}
_WAIT = "wait until then (on a dev chain, advance its clock)."


def _range(what: str) -> Explainer:
    return lambda a: (
        f"{what} {a['name']} = {a['value']} is out of range; it must be between {a['min']} and {a['max']}."
    )


EXPLAINERS: dict[str, Explainer] = {
    "UnknownBounty": lambda a: f"There is no {_id(a)} on this contract; pick a bounty from the list.",
    "BountyClosed": lambda a: (
        f"{_id(a).capitalize()} is already {'finalized' if int(a.get('phase', 4)) == 4 else 'cancelled'}; "
        "only withdrawing credited amounts is left to do."
    ),
    "NotBountyOwner": lambda a: (
        f"Only the owner of {_id(a)} ({a['owner']}) may do this; the selected account is {a['caller']}. "
        "Switch to the owner's account."
    ),
    "InvalidBountyParameter": lambda a: (
        "The reward must be more than 0 ETH: send the reward with the bounty."
        if a.get("name") == "reward" and int(a.get("value", 0)) == 0
        else _range("The bounty setting")(a)
    ),
    "DeadlineTooEarly": lambda a: (
        f"The {a['name']} ({utc(a['deadline'])}) must come after {utc(a['mustBeAfter'])}; choose a later "
        "time (deadlines count in chain time, not on your clock)."
    ),
    "WindowTooShort": lambda a: (
        f"The {a['window']} window would last only {seconds_exact(a['length'])}; each window (submission, "
        f"reveal, evaluation) must last at least {seconds_exact(a['minimum'])}. Choose longer windows (the "
        "submission window counts from the block that creates the bounty)."
    ),
    "DeadlineTooLate": lambda a: (
        f"The {a['name']} ({utc(a['deadline'])}) is too far ahead: a bounty must end by {utc(a['latest'])}, "
        "365 days after it is created. Choose shorter windows."
    ),
    "EmptyCommitment": lambda a: (
        f"The commitment for {_id(a)} is empty (all zeros); compute it from your hyperparameters and a salt."
    ),
    "SubmissionWindowClosed": lambda a: (
        f"The submission window closed at {_at(a, 'deadline')}; {_now_in(a)}, so no new commitments are "
        "accepted."
    ),
    "WrongBond": lambda a: (
        f"{_id(a).capitalize()} expects {eth_exact(a['expected'])} with this commit but "
        f"{eth_exact(a['sent'])} was "
        "sent: a first commit carries exactly the bond, a replacement carries nothing."
    ),
    "RevealWindowNotOpen": lambda a: (
        f"Reveals for {_id(a)} open at {_at(a, 'opensAt')}, when the submission window closes; {_WAIT}"
    ),
    "RevealWindowClosed": lambda a: (
        f"The reveal window of {_id(a)} closed at {_at(a, 'deadline')}; a submission not revealed by then "
        "cannot be revealed any more, and its bond goes to the owner."
    ),
    "NoCommitment": lambda a: (
        f"{a['participant']} has not committed to {_id(a)}; only a committed submission can be revealed "
        "(commit during the submission window)."
    ),
    "AlreadyRevealed": lambda a: f"{a['participant']} has already revealed its submission to {_id(a)}.",
    "CommitmentMismatch": lambda a: (
        f"These hyperparameters and salt do not match {a['participant']}'s commitment on {_id(a)}; reveal "
        "exactly what was committed, from the same account (use the stored or imported salt)."
    ),
    "HyperparameterOutOfRange": _range("The hyperparameter"),
    "TestDataRevealNotOpen": lambda a: (
        f"The test data of {_id(a)} can be revealed from {_at(a, 'opensAt')}, when the reveal window "
        f"closes (no participant may see it while it can still choose what to reveal); {_WAIT}"
    ),
    "TestDataRevealClosed": lambda a: (
        f"The evaluation window of {_id(a)} closed at {_at(a, 'deadline')}, so its test data can no longer "
        "be revealed; finalize the bounty instead (the reward is split among those who revealed)."
    ),
    "TestDataAlreadyRevealed": lambda a: (
        f"The test data of {_id(a)} is already revealed; post the scores next."
    ),
    "TestDataMismatch": lambda a: (
        f"This test-data digest and salt do not match what {_id(a)} committed to when it was created; use "
        "the secret stored when the bounty was created (or import it)."
    ),
    "EmptyTestDataDigest": lambda a: (
        f"{_id(a).capitalize()} is a forward-test bounty, and its test data was revealed with an empty "
        "(all-zero) digest; build the test file by the manifest's rule, add it to IPFS and reveal the "
        "digest of its CID."
    ),
    "ForwardTestSaltNotZero": lambda a: (
        f"{_id(a).capitalize()} is a forward-test bounty: it committed to no salt, so its test data is "
        "revealed with salt 0; send the test file's digest with a zero salt."
    ),
    "TestDataNotRevealed": lambda a: f"Reveal the test data of {_id(a)} before posting its scores.",
    "EvaluationWindowNotOpen": lambda a: (
        f"Scores for {_id(a)} can be posted from {_at(a, 'opensAt')}, when the reveal window closes; {_WAIT}"
    ),
    "EvaluationWindowClosed": lambda a: (
        f"The evaluation window of {_id(a)} closed at {_at(a, 'deadline')}; scores can no longer be posted. "
        "Finalize it: the reward is split among those who revealed."
    ),
    "LengthMismatch": lambda a: (
        f"The scores name {a['participants']} participants but give {a['accuracies']} accuracies; send one "
        "accuracy per participant."
    ),
    "NotRevealed": lambda a: (
        f"{a['participant']} did not reveal a submission to {_id(a)}, so it cannot be scored; leave it out."
    ),
    "AlreadyScored": lambda a: f"{a['participant']} is already scored on {_id(a)}; each is scored once.",
    "AccuracyOutOfRange": lambda a: (
        f"The accuracy given for {a['participant']} ({a['accuracyPpm']} ppm) is above 1,000,000 ppm (100 %)."
    ),
    "FinalizeTooEarly": lambda a: (
        f"{_id(a).capitalize()} cannot be finalized before {utc(a['earliest'])} (chain time now "
        f"{utc(a['now'])}); {_WAIT}"
    ),
    "NotAStallSplit": lambda a: (
        f"{_id(a).capitalize()} was not settled by a split, so there is no share to claim; withdraw any "
        "credit instead."
    ),
    "NotARevealer": lambda a: (
        f"{a['participant']} did not reveal a submission to {_id(a)}, so it has no share of the split."
    ),
    "ShareAlreadyClaimed": lambda a: (
        f"{a['participant']} already claimed its share of {_id(a)}; withdraw it to receive the ETH."
    ),
    "CancelNotAllowed": lambda a: (
        f"{_id(a).capitalize()} cannot be cancelled: {a['commitCount']} participant(s) already committed."
        if int(a.get("commitCount", 0))
        else f"{_id(a).capitalize()} cannot be cancelled after its submission deadline "
        f"({_at(a, 'submissionDeadline')}); finalize it instead."
    ),
    "NothingToWithdraw": lambda a: f"Nothing is credited to {a['account']}; there is nothing to withdraw.",
    # disputes (ERC-792)
    "ArbitrationAlreadySet": lambda a: (
        f"{_id(a).capitalize()} already names its arbitrator; the terms of disputes are set once."
    ),
    "ArbitrationTooLate": lambda a: (
        f"The arbitration of {_id(a)} can no longer be set: {a['commitCount']} participant(s) already "
        "committed (participants must know the terms before they commit)."
        if int(a.get("commitCount", 0))
        else f"The arbitration of {_id(a)} can only be set before its submission deadline "
        f"({_at(a, 'submissionDeadline')})."
    ),
    "OwnerBondRequired": lambda a: (
        f"Naming an arbitrator for {_id(a)} needs an owner's bond: send more than 0 ETH with it (a "
        "challenger who wins is paid this bond)."
    ),
    "ArbitratorNotContract": lambda a: (
        f"{a['arbitrator']} is not a contract, so it cannot be an ERC-792 arbitrator; give the address of "
        "a deployed arbitrator contract."
    ),
    "ChallengePeriodOutOfRange": lambda a: (
        f"A challenge period of {seconds_exact(a['challengePeriod'])} is out of range; it must last between "
        f"{seconds_exact(a['min'])} and {seconds_exact(a['max'])}."
    ),
    "NoArbitration": lambda a: (
        f"{_id(a).capitalize()} names no arbitrator, so its scores cannot be challenged; the owner's scores "
        "decide."
    ),
    "ChallengerDidNotReveal": lambda a: (
        f"{a['challenger']} did not reveal a submission to {_id(a)}; only a participant who revealed may "
        "challenge a score. Switch to that account."
    ),
    "NoPostedScore": lambda a: (
        f"{a['participant']} has no posted score on {_id(a)} yet, so there is nothing to challenge."
    ),
    "ChallengePeriodOver": lambda a: (
        f"The challenge period of {_id(a)} ended at {_at(a, 'endedAt')}; its scores can no longer be "
        "challenged."
    ),
    "WrongChallengeValue": lambda a: (
        f"A challenge on {_id(a)} must carry exactly {eth_exact(a['expected'])} (the challenge bond plus the "
        f"arbitrator's fee) but {eth_exact(a['sent'])} was sent; send the amount shown."
    ),
    "DisputeIdReused": lambda a: (
        f"The arbitrator {a['arbitrator']} returned dispute id {a['disputeId']}, which it had used before; "
        "this arbitrator is faulty, so nothing was changed."
    ),
    "ReentrantCall": lambda a: (
        "The arbitrator tried to challenge again in the middle of a challenge; the challenge was refused."
    ),
    "NotArbitrator": lambda a: (
        f"{a['caller']} is not the arbitrator of dispute #{a['disputeId']} on this board; only the "
        "arbitrator that holds a dispute may rule on it."
    ),
    "UnknownDispute": lambda a: (
        f"{_id(a).capitalize()} has no dispute #{a['disputeId']} at its arbitrator; pick one from the "
        "bounty's disputes."
    ),
    "DisputeAlreadyRuled": lambda a: (
        f"Dispute #{a['disputeId']} of {_id(a)} is already closed (ruled, or timed out); a dispute is "
        "settled once."
    ),
    "InvalidRuling": lambda a: (
        f"Ruling {a['ruling']} on dispute #{a['disputeId']} is not one of the choices: 1 (the challenger is "
        "right), 2 (the posted score stands) or 0 (refuse to rule)."
    ),
    "RulingNotTimedOut": lambda a: (
        f"Dispute #{a['disputeId']} of {_id(a)} may be closed without a ruling only from {utc(a['until'])} "
        f"(30 days after it was created; chain time now {utc(a['now'])}); until then the arbitrator rules."
    ),
    "ChallengePeriodNotOver": lambda a: (
        f"{_id(a).capitalize()} cannot be finalized before its challenge period ends at {utc(a['endsAt'])} "
        f"(chain time now {utc(a['now'])}); until then its scores may be challenged: {_WAIT}"
    ),
    "DisputeOpen": lambda a: (
        f"{_id(a).capitalize()} cannot be finalized while {a['openDisputes']} dispute(s) wait for a ruling; "
        "the arbitrator rules, or anyone closes a dispute left unruled for 30 days."
    ),
    "ScoresVoided": lambda a: (
        f"A challenger won on {_id(a)}: the owner's scores are void, so no score can be posted or "
        "challenged; finalize it (the reward is split among those who revealed)."
    ),
    # SimpleArbitrator, the dev chains' arbitrator (chain.arbitrator)
    "WrongArbitrationFee": lambda a: (
        f"The arbitrator takes exactly {eth_exact(a['expected'])} per dispute but {eth_exact(a['sent'])} was "
        "sent."
    ),
    "InvalidChoices": lambda a: f"A dispute needs 1 to 255 choices, not {a['choices']}.",
    "NotOwner": lambda a: (
        f"Only the arbitrator's owner may rule or take its fees; the selected account is {a['caller']}. "
        "Switch to the Arbiter's account."
    ),
    "NoSuchDispute": lambda a: f"The arbitrator has no dispute #{a['disputeId']}.",
    "AlreadySolved": lambda a: f"The arbitrator has already ruled on dispute #{a['disputeId']}.",
    "RulingOutOfRange": lambda a: (
        f"Ruling {a['ruling']} is out of range for dispute #{a['disputeId']}: rule 0 to {a['choices']}."
    ),
    "NotAppealable": lambda a: (
        f"This arbitrator's rulings are final: dispute #{a['disputeId']} cannot be appealed."
    ),
    "FeeTransferFailed": lambda a: (
        f"Sending {eth_exact(a['amount'])} of fees to the arbitrator's owner failed: the address refused the "
        "ETH."
    ),
    "WithdrawFailed": lambda a: (
        f"Sending {eth_exact(a['amount'])} to {a['account']} failed: the address refused the ETH. The credit "
        "is kept; withdraw from an account that accepts ETH."
    ),
}
