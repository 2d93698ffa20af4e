// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IArbitrable} from "./IArbitrable.sol";

/// @title IArbitrator: the arbitrator side of ERC-792, the arbitration standard of the Ethereum ecosystem.
/// @notice Names, arguments and events follow the standard exactly, so any ERC-792 arbitrator can rule on
/// BountyBoard's disputes. An arbitrable contract pays `arbitrationCost` to `createDispute` and is called
/// back with `IArbitrable.rule` once a ruling is final. Ruling 0 means the arbitrator refused to rule.
interface IArbitrator {
    /// @notice Where a dispute stands at the arbitrator.
    enum DisputeStatus {
        Waiting,
        Appealable,
        Solved
    }

    /// @notice A dispute was created.
    /// @param _disputeID the arbitrator's id of the new dispute.
    /// @param _arbitrable the contract that created it (and is called back with the ruling).
    event DisputeCreation(uint256 indexed _disputeID, IArbitrable indexed _arbitrable);

    /// @notice A dispute's current ruling can now be appealed.
    /// @param _disputeID the dispute.
    /// @param _arbitrable the contract that created it.
    event AppealPossible(uint256 indexed _disputeID, IArbitrable indexed _arbitrable);

    /// @notice A dispute's ruling was appealed.
    /// @param _disputeID the dispute.
    /// @param _arbitrable the contract that created it.
    event AppealDecision(uint256 indexed _disputeID, IArbitrable indexed _arbitrable);

    /// @notice Creates a dispute; must be paid at least `arbitrationCost(_extraData)`.
    /// @param _choices how many rulings the dispute may end with (besides 0, "refused to rule").
    /// @param _extraData arbitrator-specific settings (may be empty).
    /// @return disputeID the new dispute's id at this arbitrator.
    function createDispute(uint256 _choices, bytes calldata _extraData) external payable returns (uint256 disputeID);

    /// @notice The fee `createDispute` takes.
    /// @param _extraData arbitrator-specific settings (may be empty).
    /// @return cost the fee in wei.
    function arbitrationCost(bytes calldata _extraData) external view returns (uint256 cost);

    /// @notice Appeals a dispute's ruling; must be paid at least `appealCost`.
    /// @param _disputeID the dispute.
    /// @param _extraData arbitrator-specific settings (may be empty).
    function appeal(uint256 _disputeID, bytes calldata _extraData) external payable;

    /// @notice The fee `appeal` takes.
    /// @param _disputeID the dispute.
    /// @param _extraData arbitrator-specific settings (may be empty).
    /// @return cost the fee in wei.
    function appealCost(uint256 _disputeID, bytes calldata _extraData) external view returns (uint256 cost);

    /// @notice When the current ruling can be appealed ((0, 0) if it cannot).
    /// @param _disputeID the dispute.
    /// @return start the start of the appeal period.
    /// @return end its end.
    function appealPeriod(uint256 _disputeID) external view returns (uint256 start, uint256 end);

    /// @notice Where a dispute stands.
    /// @param _disputeID the dispute.
    /// @return status Waiting, Appealable or Solved.
    function disputeStatus(uint256 _disputeID) external view returns (DisputeStatus status);

    /// @notice The ruling a dispute has now (0 while none, or if the arbitrator refused to rule).
    /// @param _disputeID the dispute.
    /// @return ruling the ruling.
    function currentRuling(uint256 _disputeID) external view returns (uint256 ruling);
}
