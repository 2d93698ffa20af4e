// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IArbitrable} from "./erc792/IArbitrable.sol";
import {IArbitrator} from "./erc792/IArbitrator.sol";

/// @title SimpleArbitrator: a minimal ERC-792 arbitrator whose owner rules, for dev chains and tests.
/// @notice The deployer is the owner and the only judge: `giveRuling` records a ruling and passes it to the
/// arbitrable contract at once (no appeals). `createDispute` takes exactly `arbitrationCost`, fixed at
/// deployment; the fees stay here until the owner takes them with `withdrawFees`. On a real network any
/// ERC-792 arbitrator (a court, a k-of-n panel) works with BountyBoard instead.
contract SimpleArbitrator is IArbitrator {
    struct Dispute {
        IArbitrable arbitrable;
        uint8 choices;
        uint8 ruling;
        DisputeStatus status;
    }

    /// @notice Raised by `createDispute` when the fee sent is not `arbitrationCost`.
    /// @param expected the fee.
    /// @param sent the wei sent.
    error WrongArbitrationFee(uint256 expected, uint256 sent);

    /// @notice Raised by `createDispute` for a dispute with no choice or more than 255.
    /// @param choices the number of choices asked for.
    error InvalidChoices(uint256 choices);

    /// @notice Raised by `giveRuling` and `withdrawFees` when the caller is not the owner.
    /// @param caller the caller.
    error NotOwner(address caller);

    /// @notice Raised by `giveRuling` for a dispute id never created here.
    /// @param disputeId the id.
    error NoSuchDispute(uint256 disputeId);

    /// @notice Raised by `giveRuling` once the dispute is solved.
    /// @param disputeId the dispute.
    error AlreadySolved(uint256 disputeId);

    /// @notice Raised by `giveRuling` for a ruling above the dispute's number of choices.
    /// @param disputeId the dispute.
    /// @param ruling the ruling given.
    /// @param choices the dispute's number of choices.
    error RulingOutOfRange(uint256 disputeId, uint256 ruling, uint256 choices);

    /// @notice Raised by `appeal`: this arbitrator's rulings are final.
    /// @param disputeId the dispute.
    error NotAppealable(uint256 disputeId);

    /// @notice Raised by `withdrawFees` when the owner's address refused the ETH.
    /// @param amount the wei that could not be sent.
    error FeeTransferFailed(uint256 amount);

    /// @notice The owner withdrew the collected fees (emitted by `withdrawFees`).
    /// @param owner the owner.
    /// @param amount the wei sent.
    event FeesWithdrawn(address indexed owner, uint256 amount);

    /// @notice The owner, who rules on every dispute.
    address public immutable owner;
    uint256 private immutable _cost;
    Dispute[] private _disputes;

    /// @param cost the fee in wei `createDispute` takes (may be 0).
    constructor(uint256 cost) {
        owner = msg.sender;
        _cost = cost;
    }

    /// @inheritdoc IArbitrator
    function createDispute(uint256 _choices, bytes calldata) external payable returns (uint256 disputeID) {
        if (msg.value != _cost) revert WrongArbitrationFee(_cost, msg.value);
        if (_choices == 0 || _choices > type(uint8).max) revert InvalidChoices(_choices);
        disputeID = _disputes.length;
        _disputes.push(Dispute(IArbitrable(msg.sender), uint8(_choices), 0, DisputeStatus.Waiting));
        emit DisputeCreation(disputeID, IArbitrable(msg.sender));
    }

    /// @notice Rules on a dispute and passes the ruling to the contract that created it. Owner only, once.
    /// @param disputeId the dispute.
    /// @param ruling 0 (refused) up to the dispute's number of choices.
    function giveRuling(uint256 disputeId, uint256 ruling) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        if (disputeId >= _disputes.length) revert NoSuchDispute(disputeId);
        Dispute storage d = _disputes[disputeId];
        if (d.status == DisputeStatus.Solved) revert AlreadySolved(disputeId);
        if (ruling > d.choices) revert RulingOutOfRange(disputeId, ruling, d.choices);
        d.ruling = uint8(ruling);
        d.status = DisputeStatus.Solved;
        d.arbitrable.rule(disputeId, ruling);
    }

    /// @notice Sends the owner every fee collected so far.
    function withdrawFees() external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        uint256 amount = address(this).balance;
        emit FeesWithdrawn(msg.sender, amount);
        (bool ok, ) = payable(msg.sender).call{value: amount}("");
        if (!ok) revert FeeTransferFailed(amount);
    }

    /// @inheritdoc IArbitrator
    function arbitrationCost(bytes calldata) external view returns (uint256 cost) {
        return _cost;
    }

    /// @notice Not appealable: always reverts with `NotAppealable`.
    /// @param _disputeID the dispute.
    function appeal(uint256 _disputeID, bytes calldata) external payable {
        revert NotAppealable(_disputeID);
    }

    /// @notice Not appealable: the largest uint256, a fee no one can pay.
    /// @return cost type(uint256).max.
    function appealCost(uint256, bytes calldata) external pure returns (uint256 cost) {
        return type(uint256).max;
    }

    /// @notice Not appealable: (0, 0).
    /// @return start 0.
    /// @return end 0.
    function appealPeriod(uint256) external pure returns (uint256 start, uint256 end) {
        return (0, 0);
    }

    /// @inheritdoc IArbitrator
    function disputeStatus(uint256 _disputeID) external view returns (DisputeStatus status) {
        if (_disputeID >= _disputes.length) revert NoSuchDispute(_disputeID);
        return _disputes[_disputeID].status;
    }

    /// @inheritdoc IArbitrator
    function currentRuling(uint256 _disputeID) external view returns (uint256 ruling) {
        if (_disputeID >= _disputes.length) revert NoSuchDispute(_disputeID);
        return _disputes[_disputeID].ruling;
    }

    /// @notice How many disputes were created here (ids run from 0).
    /// @return the count.
    function disputeCount() external view returns (uint256) {
        return _disputes.length;
    }
}
