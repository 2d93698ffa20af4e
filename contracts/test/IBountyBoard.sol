// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @dev The slice of BountyBoard the test participants call.
interface IBountyBoard {
    struct Hyperparameters {
        uint8 lstmLayers;
        uint16 lstmUnits;
        uint8 denseLayers;
        uint8 activation;
        uint8 loss;
        uint16 dropoutPermille;
        uint32 learningRateMicro;
    }

    function commit(uint256 bountyId, bytes32 commitment) external payable;
    function reveal(uint256 bountyId, Hyperparameters calldata hp, bytes32 salt) external;
    function claimShare(uint256 bountyId) external;
    function withdraw() external;
}
