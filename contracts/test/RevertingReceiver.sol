// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IBountyBoard} from "../IBountyBoard.sol";

/// @notice A participant that refuses every ETH transfer (and burns gas first when asked to).
/// Test-only: a receiver like this may fail its own withdrawal but must block no one else.
contract RevertingReceiver {
    IBountyBoard public immutable board;
    bool public burnGas;

    error NoThanks();

    constructor(IBountyBoard board_) {
        board = board_;
    }

    function setBurnGas(bool burn) external {
        burnGas = burn;
    }

    function commit(uint256 bountyId, bytes32 commitment) external payable {
        board.commit{value: msg.value}(bountyId, commitment);
    }

    function reveal(uint256 bountyId, IBountyBoard.Hyperparameters calldata hp, bytes32 salt) external {
        board.reveal(bountyId, hp, salt);
    }

    function claimShare(uint256 bountyId) external {
        board.claimShare(bountyId);
    }

    function withdraw() external {
        board.withdraw();
    }

    receive() external payable {
        if (burnGas) {
            uint256 spin;
            while (gasleft() > 5_000) spin += 1;
        }
        revert NoThanks();
    }
}
