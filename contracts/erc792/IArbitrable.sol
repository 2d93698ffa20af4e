// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IArbitrator} from "./IArbitrator.sol";

/// @title IArbitrable: the arbitrable side of ERC-792, the arbitration standard of the Ethereum ecosystem.
/// @notice A contract that creates disputes at an `IArbitrator` and enforces the rulings it is given.
interface IArbitrable {
    /// @notice A ruling was given and enforced (emitted by `rule`).
    /// @param _arbitrator the arbitrator that gave it.
    /// @param _disputeID the dispute's id at that arbitrator.
    /// @param _ruling the ruling (0: the arbitrator refused to rule).
    event Ruling(IArbitrator indexed _arbitrator, uint256 indexed _disputeID, uint256 _ruling);

    /// @notice Gives a ruling for a dispute; only the arbitrator that holds the dispute may call it.
    /// @param _disputeID the dispute's id at the arbitrator.
    /// @param _ruling the ruling (0: refused to rule, else one of the dispute's choices).
    function rule(uint256 _disputeID, uint256 _ruling) external;
}
