// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.24;

/// @title Atom: the on-chain head of a Wetware image.
/// @notice Holds one pointer (a binary CID) and a counter that goes up by one
/// every time the pointer moves. Nodes follow the HeadUpdated events, wait for
/// enough confirmations, and then switch every running guest to the new image.
/// The constructor sets the first head silently: there is no event for seq 0,
/// so a follower learns it by calling head().
contract Atom {
    /// @notice The head moved to `cid`; `seq` is the new counter value.
    /// @dev `cidHash` is keccak256(cid), indexed so a follower can filter on a
    /// CID without decoding the data.
    event HeadUpdated(
        uint64 indexed seq, address indexed writer, bytes cid, bytes32 indexed cidHash
    );

    /// @notice The caller is not the account allowed to move the head.
    error NotOwner();
    /// @notice The new head equals the current one; nothing to publish.
    error NoChange();

    /// @notice The only account allowed to call setHead (the deployer).
    address public owner;
    /// @notice How many times the head has moved since deployment.
    uint64 public seq;

    bytes private current;

    constructor(bytes memory initialCid) {
        owner = msg.sender;
        current = initialCid;
    }

    /// @notice The current counter and head bytes, read together.
    function head() external view returns (uint64, bytes memory) {
        return (seq, current);
    }

    /// @notice Move the head to `cid` and announce it.
    function setHead(bytes calldata cid) external {
        if (msg.sender != owner) revert NotOwner();
        bytes32 cidHash = keccak256(cid);
        if (cidHash == keccak256(current)) revert NoChange();
        uint64 next = seq + 1;
        seq = next;
        current = cid;
        emit HeadUpdated(next, msg.sender, cid, cidHash);
    }
}
