// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IBountyBoard} from "../IBountyBoard.sol";

/// @notice A participant that, when paid, calls `withdraw` again to try to drain the board.
/// Test-only: shows that zeroing the credit before the transfer leaves nothing to re-enter for.
contract ReentrantAttacker {
    IBountyBoard public immutable board;
    uint256 public reentryAttempts;
    bool public reentrySucceeded;
    bytes public reentryError;

    constructor(IBountyBoard board_) {
        board = board_;
    }

    function commit(uint256 bountyId, bytes32 commitment) external payable {
        board.commit{value: msg.value}(bountyId, commitment);
    }

    function reveal(uint256 bountyId, IBountyBoard.Hyperparameters calldata hp, bytes32 salt) external {
        board.reveal(bountyId, hp, salt);
    }

    function withdraw() external {
        board.withdraw();
    }

    receive() external payable {
        if (reentryAttempts < 3) {
            reentryAttempts += 1;
            try board.withdraw() {
                reentrySucceeded = true;
            } catch (bytes memory err) {
                reentryError = err;
            }
        }
    }
}
