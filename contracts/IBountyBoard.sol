// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IArbitrable} from "./erc792/IArbitrable.sol";

/// @title IBountyBoard: the public interface of BountyBoard (every function, type, event and error).
/// @notice Clients other than the dashboard call BountyBoard by these names (its ABI is a public
/// interface), so they stay fixed; tests/chain/test_contract_abi.py pins them. `BountyBoard is
/// IBountyBoard`; the test contracts in contracts/test call the board through this interface. The
/// contract's NatSpec documents each function in full.
/// Disputes (ERC-792): a bounty may name an arbitrator (`setArbitration`, with an owner's bond). Any
/// revealer may then challenge a posted score until `challengePeriod` seconds after the latest
/// `postScores` (`challengeScore`); the arbitrator rules through `rule` (IArbitrable). Ruling 1 (the
/// challenger is right) voids the owner's scores: the bounty settles as a stall split and the challenger
/// is credited the owner's bond and its own bond back. Ruling 2 (the score stands) or 0 (refused) credits
/// the challenge bond to the owner. Timeout rule: a dispute the arbitrator has not ruled on
/// `RULING_TIMEOUT` (30 days) after its creation may be closed by anyone with `timeoutDispute`, and counts
/// as ruling 1: the owner chose the arbitrator, so an arbitrator that never rules must not help the owner.
interface IBountyBoard is IArbitrable {
    // ------------------------------------------------------------------ types

    /// @notice A submission's hyperparameters; field order is part of the ABI. The contract refuses
    /// values outside these ranges at `reveal` (protocol.RANGES in Python holds the same ranges, and
    /// tests/chain/test_contract_rules.py checks that both agree).
    struct Hyperparameters {
        uint8 lstmLayers; // 1..4
        uint16 lstmUnits; // 4..512
        uint8 denseLayers; // 0..4
        uint8 activation; // 0..7: relu, tanh, sigmoid, elu, selu, gelu, swish, linear
        uint8 loss; // 0..4: sparse_cce, cce, focal_cce, mse, categorical_hinge
        uint16 dropoutPermille; // 0..800
        uint32 learningRateMicro; // 1..100000
    }

    /// @notice Where a bounty stands. Submission..Finalizable follow from the clock; the last two are stored.
    enum Phase {
        Submission,
        Reveal,
        Evaluation,
        Finalizable,
        Finalized,
        Cancelled
    }

    /// @notice How `finalize` settled a bounty (None until then, and for cancelled bounties).
    enum Outcome {
        None,
        WinnerPaid, // every revealed submission scored, the best reached the bar
        BelowBar, // every revealed submission scored, none reached the bar: reward back to the owner
        NoReveals, // nobody revealed: reward back to the owner
        StallSplit // evaluation deadline passed with unscored reveals: reward split among revealers
    }

    /// @notice Everything a client shows about a bounty, in one call.
    struct BountyView {
        uint256 id;
        address owner;
        uint256 reward;
        bytes32 manifestDigest;
        bytes32 testDataCommitment; // zero once revealed, and always for a forward-test bounty
        bytes32 testDataDigest; // zero until revealed
        uint32 minAccuracyPpm;
        uint16 sequenceLength;
        uint16 futurePeriod;
        uint64 submissionDeadline;
        uint64 revealDeadline;
        uint64 evaluationDeadline;
        uint256 commitBond;
        uint32 commitCount;
        uint32 revealCount;
        uint32 scoredCount;
        bool testDataRevealed;
        Phase phase;
        Outcome outcome;
        address leader;
        uint32 bestAccuracyPpm;
        address firstRevealer;
        bool forwardTest; // true: created with a zero commitment, test data built after the reveal window
    }

    /// @notice One participant's submission as a client shows it.
    struct SubmissionView {
        bytes22 commitmentPrefix; // first 22 bytes of the commitment while unrevealed, then zero
        uint32 commitOrder; // 0 = no submission
        bool revealed;
        Hyperparameters hp; // zeros until revealed
        bool scored;
        uint32 accuracyPpm;
        bool shareClaimed;
    }

    /// @notice Where a dispute stands on the board.
    enum DisputeStatus {
        None, // no such dispute
        Open, // waiting for the arbitrator's ruling
        Ruled, // the arbitrator ruled (0, 1 or 2)
        TimedOut // not ruled within RULING_TIMEOUT: closed by `timeoutDispute`, counted as ruling 1
    }

    /// @notice A bounty's arbitration terms and state, in one call (all zero without arbitration).
    struct ArbitrationView {
        address arbitrator; // the ERC-792 arbitrator; zero: the bounty has no disputes
        uint256 ownerBond; // wei the owner deposited, forfeited to the first challenger who wins
        uint256 challengeBond; // wei a challenger deposits on top of the arbitration cost
        uint32 challengePeriod; // seconds after the latest postScores during which scores may be challenged
        uint64 lastScoresAt; // time of the latest postScores (0 before any)
        uint64 challengeDeadline; // lastScoresAt + challengePeriod (0 before any scores)
        uint32 openDisputes; // disputes waiting for a ruling (finalize waits for 0)
        bool voided; // a challenger won: the owner's scores are void, the bounty settles as a stall split
        bool ownerBondPaid; // the owner's bond was credited (to a winning challenger, or back at finalize/cancel)
    }

    /// @notice One dispute as a client shows it.
    struct DisputeView {
        uint256 bountyId;
        uint256 disputeId; // the arbitrator's id (what `rule` receives)
        address arbitrator;
        address challenger;
        address participant; // whose score is challenged
        uint32 postedAccuracyPpm; // the owner's score at the challenge
        uint32 claimedAccuracyPpm; // the score the challenger claims
        uint64 createdAt;
        uint64 timeoutAt; // from this time anyone may close it with `timeoutDispute` while it is open
        DisputeStatus status;
        uint8 ruling; // 1 = challenger right (also after a timeout), 2 = score stands, 0 = refused
    }

    // ----------------------------------------------------------------- events

    /// @notice A bounty was posted with `reward` wei in escrow (emitted by `createBounty`).
    /// @param bountyId the new bounty's id.
    /// @param owner the address that posted it and paid the reward.
    /// @param reward the escrowed reward in wei.
    /// @param manifestDigest sha256 digest inside the task manifest's CIDv0.
    /// @param minAccuracyPpm the bar a winner must reach, in parts per million.
    /// @param submissionDeadline commits are accepted before this time.
    /// @param revealDeadline reveals are accepted from the submission deadline until this time.
    /// @param evaluationDeadline test data and scores are accepted from the reveal deadline until this time.
    /// @param commitBond wei each participant deposits with its first commit.
    event BountyCreated(
        uint256 indexed bountyId,
        address indexed owner,
        uint256 reward,
        bytes32 manifestDigest,
        uint32 minAccuracyPpm,
        uint64 submissionDeadline,
        uint64 revealDeadline,
        uint64 evaluationDeadline,
        uint256 commitBond
    );

    /// @notice A participant committed, or replaced its commitment (emitted by `commit`).
    /// @dev `commitOrder` stays that of the first commit when a participant replaces its commitment.
    /// @param bountyId the bounty.
    /// @param participant the committing address.
    /// @param commitment the sealed submission, `commitmentOf(bountyId, participant, hp, salt)`.
    /// @param commitOrder the 1-based order of the participant's first commit (the tie-break).
    event Committed(uint256 indexed bountyId, address indexed participant, bytes32 commitment, uint32 commitOrder);

    /// @notice A participant opened its commitment and its bond was credited back (emitted by `reveal`).
    /// @dev The hyperparameters are read with `submissionOf` (kept out of the log to save participants gas).
    /// @param bountyId the bounty.
    /// @param participant the revealing address.
    event Revealed(uint256 indexed bountyId, address indexed participant);

    /// @notice The owner published the test data (emitted by `revealTestData`).
    /// @param bountyId the bounty.
    /// @param testDataDigest sha256 digest inside the test file's CIDv0.
    /// @param salt the salt that opens the creation-time commitment (0 for a forward-test bounty).
    event TestDataRevealed(uint256 indexed bountyId, bytes32 testDataDigest, bytes32 salt);

    /// @notice The owner posted a batch of scores (emitted by `postScores`).
    /// @dev Scores themselves are read with `submissionOf`; the report (by digest) lists them all.
    /// @param bountyId the bounty.
    /// @param reportDigest sha256 digest inside the CIDv0 of the evaluation report (the latest one wins).
    event ScoresPosted(uint256 indexed bountyId, bytes32 reportDigest);

    /// @notice A bounty was settled and its amounts credited (emitted by `finalize`).
    /// @dev `recipient` is the winner, the owner (refunds) or the first revealer (remainder of a split).
    /// @param bountyId the bounty.
    /// @param outcome how it was settled.
    /// @param recipient who was credited `amount`.
    /// @param amount the wei credited to `recipient` now (the remainder only, in a stall split).
    /// @param unrevealedBonds the bonds of commits never revealed, credited to the owner.
    event Finalized(
        uint256 indexed bountyId,
        Outcome outcome,
        address indexed recipient,
        uint256 amount,
        uint256 unrevealedBonds
    );

    /// @notice A revealer was credited its equal share of a stall split (emitted by `claimShare`).
    /// @param bountyId the bounty.
    /// @param participant the revealer.
    /// @param amount the share in wei.
    event ShareClaimed(uint256 indexed bountyId, address indexed participant, uint256 amount);

    /// @notice The owner withdrew a bounty nobody had committed to (emitted by `cancel`).
    /// @param bountyId the bounty.
    /// @param owner the owner.
    /// @param refund the reward credited back to the owner, in wei.
    event Cancelled(uint256 indexed bountyId, address indexed owner, uint256 refund);

    /// @notice An account was sent everything credited to it (emitted by `withdraw`).
    /// @param account the receiving address.
    /// @param amount the wei sent.
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice The owner named an arbitrator for a bounty and deposited its bond (emitted by `setArbitration`).
    /// @param bountyId the bounty.
    /// @param arbitrator the ERC-792 arbitrator that rules on its disputes.
    /// @param ownerBond the owner's bond in wei, forfeited to a challenger who wins.
    /// @param challengeBond the bond in wei a challenger deposits besides the arbitration cost.
    /// @param challengePeriod seconds after the latest postScores during which scores may be challenged.
    event ArbitrationSet(
        uint256 indexed bountyId,
        address indexed arbitrator,
        uint256 ownerBond,
        uint256 challengeBond,
        uint32 challengePeriod
    );

    /// @notice A revealer challenged a posted score; a dispute was created at the arbitrator (emitted by
    /// `challengeScore`).
    /// @param bountyId the bounty.
    /// @param disputeId the arbitrator's dispute id (what `rule` receives).
    /// @param challenger the revealer who challenged.
    /// @param participant whose score is challenged.
    /// @param postedAccuracyPpm the score the owner posted.
    /// @param claimedAccuracyPpm the score the challenger claims.
    event ScoreChallenged(
        uint256 indexed bountyId,
        uint256 indexed disputeId,
        address indexed challenger,
        address participant,
        uint32 postedAccuracyPpm,
        uint32 claimedAccuracyPpm
    );

    /// @notice The arbitrator's ruling on a dispute was enforced (emitted by `rule`, beside ERC-792's
    /// `Ruling`, which carries no bounty id).
    /// @param bountyId the bounty.
    /// @param disputeId the arbitrator's dispute id.
    /// @param ruling 1 = the challenger is right (scores voided), 2 = the score stands, 0 = refused to rule.
    event DisputeRuled(uint256 indexed bountyId, uint256 indexed disputeId, uint256 ruling);

    /// @notice A dispute not ruled within `RULING_TIMEOUT` was closed as if the challenger were right
    /// (emitted by `timeoutDispute`).
    /// @param bountyId the bounty.
    /// @param disputeId the arbitrator's dispute id.
    event DisputeTimedOut(uint256 indexed bountyId, uint256 indexed disputeId);

    /// @notice A bond was credited at the end of a dispute or of a bounty.
    /// @param bountyId the bounty.
    /// @param recipient who was credited (the challenger, or the owner).
    /// @param amount the wei credited.
    /// @param ownerBond true: the owner's bond (won by a challenger, or returned to the owner at finalize or
    /// cancel); false: a challenge bond (back to a winning challenger, or to the owner when the score stands).
    event BondCredited(uint256 indexed bountyId, address indexed recipient, uint256 amount, bool ownerBond);

    // ----------------------------------------------------------------- errors

    /// @notice Raised when no bounty has this id (ids run from 1 to `bountyCount()`).
    /// @param bountyId the id asked for.
    error UnknownBounty(uint256 bountyId);

    /// @notice Raised when the bounty is already finalized or cancelled, so it takes no more actions.
    /// @param bountyId the bounty.
    /// @param phase Finalized or Cancelled.
    error BountyClosed(uint256 bountyId, Phase phase);

    /// @notice Raised when someone other than the bounty's owner calls an owner-only function.
    /// @param bountyId the bounty.
    /// @param caller the address that called.
    /// @param owner the bounty's owner.
    error NotBountyOwner(uint256 bountyId, address caller, address owner);

    /// @notice Raised by `createBounty` when a parameter (or the reward, `msg.value`) is out of range.
    /// @param name the parameter ("reward", "manifestDigest", "minAccuracyPpm", "sequenceLength",
    /// "futurePeriod" or "commitBond").
    /// @param value the value given.
    /// @param min the smallest value allowed.
    /// @param max the largest value allowed.
    error InvalidBountyParameter(string name, uint256 value, uint256 min, uint256 max);

    /// @notice Raised by `createBounty` when a deadline is not after the time it must follow (the
    /// creating block for the submission deadline, else the previous deadline).
    /// @param name the deadline ("submissionDeadline", "revealDeadline" or "evaluationDeadline").
    /// @param deadline the deadline given.
    /// @param mustBeAfter the time it must be after.
    error DeadlineTooEarly(string name, uint64 deadline, uint64 mustBeAfter);

    /// @notice Raised by `createBounty` when a window would last fewer than `MIN_WINDOW_SECONDS`. The
    /// submission window runs from the creating block.
    /// @param window "submission", "reveal" or "evaluation".
    /// @param length how long the window would last, in seconds.
    /// @param minimum `MIN_WINDOW_SECONDS`.
    error WindowTooShort(string window, uint64 length, uint64 minimum);

    /// @notice Raised by `createBounty` when a deadline falls more than `MAX_BOUNTY_DURATION` after the
    /// creating block.
    /// @param name the deadline ("evaluationDeadline").
    /// @param deadline the deadline given.
    /// @param latest the latest time allowed.
    error DeadlineTooLate(string name, uint64 deadline, uint64 latest);

    /// @notice Raised by `commit` when the commitment is zero.
    /// @param bountyId the bounty.
    error EmptyCommitment(uint256 bountyId);

    /// @notice Raised by `commit` at or after the submission deadline.
    /// @param bountyId the bounty.
    /// @param deadline the submission deadline.
    /// @param now the current block's timestamp.
    error SubmissionWindowClosed(uint256 bountyId, uint64 deadline, uint64 now);

    /// @notice Raised by `commit` when `msg.value` is not the bond: exactly `commitBond` on the first
    /// commit, zero on a replacement.
    /// @param bountyId the bounty.
    /// @param expected the wei the call had to carry.
    /// @param sent the wei it carried.
    error WrongBond(uint256 bountyId, uint256 expected, uint256 sent);

    /// @notice Raised by `reveal` before the submission deadline.
    /// @param bountyId the bounty.
    /// @param opensAt the submission deadline, when reveals open.
    /// @param now the current block's timestamp.
    error RevealWindowNotOpen(uint256 bountyId, uint64 opensAt, uint64 now);

    /// @notice Raised by `reveal` at or after the reveal deadline.
    /// @param bountyId the bounty.
    /// @param deadline the reveal deadline.
    /// @param now the current block's timestamp.
    error RevealWindowClosed(uint256 bountyId, uint64 deadline, uint64 now);

    /// @notice Raised by `reveal` when the caller never committed to this bounty.
    /// @param bountyId the bounty.
    /// @param participant the caller.
    error NoCommitment(uint256 bountyId, address participant);

    /// @notice Raised by `reveal` when the caller has already revealed.
    /// @param bountyId the bounty.
    /// @param participant the caller.
    error AlreadyRevealed(uint256 bountyId, address participant);

    /// @notice Raised by `reveal` when the hyperparameters and salt do not open the caller's commitment
    /// (wrong salt, other values, or a commitment copied from someone else).
    /// @param bountyId the bounty.
    /// @param participant the caller.
    error CommitmentMismatch(uint256 bountyId, address participant);

    /// @notice Raised by `reveal` when a hyperparameter is outside its range (see `Hyperparameters`).
    /// @param name the field, as named in the `Hyperparameters` struct.
    /// @param value the value revealed.
    /// @param min the smallest value allowed.
    /// @param max the largest value allowed.
    error HyperparameterOutOfRange(string name, uint256 value, uint256 min, uint256 max);

    /// @notice Raised by `revealTestData` before the reveal deadline (no participant may see test data
    /// while it can still choose what to reveal).
    /// @param bountyId the bounty.
    /// @param opensAt the reveal deadline, when the test data may be revealed.
    /// @param now the current block's timestamp.
    error TestDataRevealNotOpen(uint256 bountyId, uint64 opensAt, uint64 now);

    /// @notice Raised by `revealTestData` at or after the evaluation deadline.
    /// @param bountyId the bounty.
    /// @param deadline the evaluation deadline.
    /// @param now the current block's timestamp.
    error TestDataRevealClosed(uint256 bountyId, uint64 deadline, uint64 now);

    /// @notice Raised by `revealTestData` when the test data has already been revealed.
    /// @param bountyId the bounty.
    error TestDataAlreadyRevealed(uint256 bountyId);

    /// @notice Raised by `revealTestData` when digest and salt do not open a committed bounty's
    /// test-data commitment.
    /// @param bountyId the bounty.
    error TestDataMismatch(uint256 bountyId);

    /// @notice Raised by `revealTestData` when a forward-test bounty's test data is revealed with a zero
    /// digest (no file has that digest).
    /// @param bountyId the bounty.
    error EmptyTestDataDigest(uint256 bountyId);

    /// @notice Raised by `revealTestData` when a forward-test bounty's test data is revealed with a
    /// non-zero salt: it committed to no salt, so the salt must be 0.
    /// @param bountyId the bounty.
    /// @param salt the salt given.
    error ForwardTestSaltNotZero(uint256 bountyId, bytes32 salt);

    /// @notice Raised by `postScores` before the owner has called `revealTestData`.
    /// @param bountyId the bounty.
    error TestDataNotRevealed(uint256 bountyId);

    /// @notice Raised by `postScores` before the reveal deadline.
    /// @param bountyId the bounty.
    /// @param opensAt the reveal deadline, when evaluation opens.
    /// @param now the current block's timestamp.
    error EvaluationWindowNotOpen(uint256 bountyId, uint64 opensAt, uint64 now);

    /// @notice Raised by `postScores` at or after the evaluation deadline.
    /// @param bountyId the bounty.
    /// @param deadline the evaluation deadline.
    /// @param now the current block's timestamp.
    error EvaluationWindowClosed(uint256 bountyId, uint64 deadline, uint64 now);

    /// @notice Raised by `postScores` when the two lists differ in length.
    /// @param participants how many participants were given.
    /// @param accuracies how many accuracies were given.
    error LengthMismatch(uint256 participants, uint256 accuracies);

    /// @notice Raised by `postScores` for a participant that has not revealed (or never committed).
    /// @param bountyId the bounty.
    /// @param participant the participant.
    error NotRevealed(uint256 bountyId, address participant);

    /// @notice Raised by `postScores` for a participant already scored (also when a batch names it twice).
    /// @param bountyId the bounty.
    /// @param participant the participant.
    error AlreadyScored(uint256 bountyId, address participant);

    /// @notice Raised by `postScores` for an accuracy above `MAX_ACCURACY_PPM` (100 %).
    /// @param bountyId the bounty.
    /// @param participant the participant.
    /// @param accuracyPpm the accuracy given, in parts per million.
    error AccuracyOutOfRange(uint256 bountyId, address participant, uint32 accuracyPpm);

    /// @notice Raised by `finalize` before the bounty is Finalizable.
    /// @param bountyId the bounty.
    /// @param earliest the reveal deadline if every reveal is scored, else the evaluation deadline.
    /// @param now the current block's timestamp.
    error FinalizeTooEarly(uint256 bountyId, uint64 earliest, uint64 now);

    /// @notice Raised by `claimShare` when the bounty was not settled as a stall split.
    /// @param bountyId the bounty.
    /// @param outcome how it was settled (None while not finalized).
    error NotAStallSplit(uint256 bountyId, Outcome outcome);

    /// @notice Raised by `claimShare` when the caller did not reveal on this bounty.
    /// @param bountyId the bounty.
    /// @param participant the caller.
    error NotARevealer(uint256 bountyId, address participant);

    /// @notice Raised by `claimShare` when the caller has already claimed its share.
    /// @param bountyId the bounty.
    /// @param participant the caller.
    error ShareAlreadyClaimed(uint256 bountyId, address participant);

    /// @notice Raised by `cancel` once someone has committed or the submission deadline has passed.
    /// @param bountyId the bounty.
    /// @param commitCount how many participants have committed.
    /// @param submissionDeadline the submission deadline.
    /// @param now the current block's timestamp.
    error CancelNotAllowed(uint256 bountyId, uint32 commitCount, uint64 submissionDeadline, uint64 now);

    /// @notice Raised by `withdraw` when nothing is credited to the caller.
    /// @param account the caller.
    error NothingToWithdraw(address account);

    /// @notice Raised by `withdraw` when the caller refused the ETH; its credit stays in place.
    /// @param account the caller.
    /// @param amount the wei that could not be sent.
    error WithdrawFailed(address account, uint256 amount);

    /// @notice Raised by `setArbitration` when the bounty already has an arbitrator (it is set once).
    /// @param bountyId the bounty.
    error ArbitrationAlreadySet(uint256 bountyId);

    /// @notice Raised by `setArbitration` once someone has committed or the submission deadline has passed
    /// (participants must know the terms before they commit).
    /// @param bountyId the bounty.
    /// @param commitCount how many participants have committed.
    /// @param submissionDeadline the submission deadline.
    /// @param now the current block's timestamp.
    error ArbitrationTooLate(uint256 bountyId, uint32 commitCount, uint64 submissionDeadline, uint64 now);

    /// @notice Raised by `setArbitration` when it carries no owner's bond (`msg.value` must be > 0).
    /// @param bountyId the bounty.
    error OwnerBondRequired(uint256 bountyId);

    /// @notice Raised by `setArbitration` when the arbitrator address holds no contract code.
    /// @param arbitrator the address given.
    error ArbitratorNotContract(address arbitrator);

    /// @notice Raised by `setArbitration` when the challenge period is shorter than `MIN_WINDOW_SECONDS` or
    /// longer than `MAX_CHALLENGE_PERIOD`.
    /// @param challengePeriod the period given, in seconds.
    /// @param min the shortest allowed.
    /// @param max the longest allowed.
    error ChallengePeriodOutOfRange(uint32 challengePeriod, uint64 min, uint64 max);

    /// @notice Raised by `challengeScore` and `timeoutDispute` when the bounty has no arbitrator.
    /// @param bountyId the bounty.
    error NoArbitration(uint256 bountyId);

    /// @notice Raised by `challengeScore` when the caller did not reveal a submission to this bounty.
    /// @param bountyId the bounty.
    /// @param challenger the caller.
    error ChallengerDidNotReveal(uint256 bountyId, address challenger);

    /// @notice Raised by `challengeScore` when the challenged participant has no posted score.
    /// @param bountyId the bounty.
    /// @param participant the participant named.
    error NoPostedScore(uint256 bountyId, address participant);

    /// @notice Raised by `challengeScore` once the challenge period after the latest postScores is over.
    /// @param bountyId the bounty.
    /// @param endedAt when the challenge period ended.
    /// @param now the current block's timestamp.
    error ChallengePeriodOver(uint256 bountyId, uint64 endedAt, uint64 now);

    /// @notice Raised by `challengeScore` when `msg.value` is not the challenge bond plus the arbitration cost.
    /// @param bountyId the bounty.
    /// @param expected the wei the call had to carry.
    /// @param sent the wei it carried.
    error WrongChallengeValue(uint256 bountyId, uint256 expected, uint256 sent);

    /// @notice Raised by `challengeScore` when the arbitrator returned a dispute id it had already used.
    /// @param arbitrator the arbitrator.
    /// @param disputeId the id it returned.
    error DisputeIdReused(address arbitrator, uint256 disputeId);

    /// @notice Raised by `challengeScore` when the arbitrator it calls tries to call it again.
    error ReentrantCall();

    /// @notice Raised by `rule` when the caller holds no dispute of this id on the board (only the
    /// arbitrator that created a dispute may rule on it).
    /// @param disputeId the dispute id given.
    /// @param caller the caller.
    error NotArbitrator(uint256 disputeId, address caller);

    /// @notice Raised by `timeoutDispute` when the bounty's arbitrator holds no dispute of this id on this
    /// bounty.
    /// @param bountyId the bounty.
    /// @param disputeId the dispute id given.
    error UnknownDispute(uint256 bountyId, uint256 disputeId);

    /// @notice Raised by `rule` and `timeoutDispute` when the dispute was already ruled or timed out.
    /// @param bountyId the bounty.
    /// @param disputeId the dispute.
    error DisputeAlreadyRuled(uint256 bountyId, uint256 disputeId);

    /// @notice Raised by `rule` for a ruling other than 0, 1 or 2.
    /// @param disputeId the dispute.
    /// @param ruling the ruling given.
    error InvalidRuling(uint256 disputeId, uint256 ruling);

    /// @notice Raised by `timeoutDispute` before `RULING_TIMEOUT` has passed since the dispute's creation.
    /// @param bountyId the bounty.
    /// @param disputeId the dispute.
    /// @param until when the dispute may be closed.
    /// @param now the current block's timestamp.
    error RulingNotTimedOut(uint256 bountyId, uint256 disputeId, uint64 until, uint64 now);

    /// @notice Raised by `finalize` on an arbitrated bounty before the challenge period after the latest
    /// postScores is over.
    /// @param bountyId the bounty.
    /// @param endsAt when the challenge period ends.
    /// @param now the current block's timestamp.
    error ChallengePeriodNotOver(uint256 bountyId, uint64 endsAt, uint64 now);

    /// @notice Raised by `finalize` while a dispute of the bounty waits for a ruling.
    /// @param bountyId the bounty.
    /// @param openDisputes how many disputes are open.
    error DisputeOpen(uint256 bountyId, uint32 openDisputes);

    /// @notice Raised by `postScores` and `challengeScore` once a challenger has won: the owner's scores
    /// are void and the bounty settles as a stall split.
    /// @param bountyId the bounty.
    error ScoresVoided(uint256 bountyId);

    // -------------------------------------------------------------- constants
    // The getters of BountyBoard's public constants keep the constants' UPPER_CASE names (part of the ABI),
    // so slither's naming-convention check is off for them.
    // slither-disable-start naming-convention

    /// @notice 100 % in parts per million: the largest accuracy and bar.
    function MAX_ACCURACY_PPM() external view returns (uint32);

    /// @notice The longest input window a task may ask for.
    function MAX_SEQUENCE_LENGTH() external view returns (uint16);

    /// @notice The furthest ahead a task may predict.
    function MAX_FUTURE_PERIOD() external view returns (uint16);

    /// @notice The shortest a submission, reveal or evaluation window may last, in seconds.
    function MIN_WINDOW_SECONDS() external view returns (uint64);

    /// @notice The latest an evaluation deadline may fall after the bounty's creation, in seconds.
    function MAX_BOUNTY_DURATION() external view returns (uint64);

    /// @notice The longest challenge period an owner may set, in seconds (30 days).
    function MAX_CHALLENGE_PERIOD() external view returns (uint64);

    /// @notice How long an arbitrator has to rule, in seconds (30 days); after it, anyone may close the
    /// dispute with `timeoutDispute`, and it counts as ruling 1 (the challenger is right).
    function RULING_TIMEOUT() external view returns (uint64);
    // slither-disable-end naming-convention

    // ---------------------------------------------------------- owner actions

    /// @notice Posts a bounty; `msg.value` is the reward.
    function createBounty(
        bytes32 manifestDigest,
        bytes32 testDataCommitment,
        uint32 minAccuracyPpm,
        uint16 sequenceLength,
        uint16 futurePeriod,
        uint64 submissionDeadline,
        uint64 revealDeadline,
        uint64 evaluationDeadline,
        uint96 commitBond
    ) external payable returns (uint256 bountyId);

    /// @notice Withdraws a bounty nobody has committed to yet, before its submission deadline.
    function cancel(uint256 bountyId) external;

    /// @notice Publishes the test data's digest in the evaluation window.
    function revealTestData(uint256 bountyId, bytes32 testDataDigest, bytes32 salt) external;

    /// @notice Posts the accuracy of revealed submissions, in one or several batches.
    function postScores(
        uint256 bountyId,
        address[] calldata participants,
        uint32[] calldata accuraciesPpm,
        bytes32 reportDigest
    ) external;

    /// @notice Names the ERC-792 arbitrator of a bounty; `msg.value` is the owner's bond. Owner only, once,
    /// before any commit and before the submission deadline.
    function setArbitration(
        uint256 bountyId,
        address arbitrator,
        uint96 challengeBond,
        uint32 challengePeriod
    ) external payable;

    // ---------------------------------------------------- participant actions

    /// @notice Commits (or replaces) the caller's sealed submission while the submission window is open.
    function commit(uint256 bountyId, bytes32 commitment) external payable;

    /// @notice Opens the caller's commitment during the reveal window; its bond is credited back.
    function reveal(uint256 bountyId, Hyperparameters calldata hp, bytes32 salt) external;

    /// @notice After a stall split, credits the caller's equal share of the reward (once per revealer).
    function claimShare(uint256 bountyId) external;

    /// @notice Challenges a posted score at the bounty's arbitrator; `msg.value` is the challenge bond plus
    /// the arbitration cost. Any revealer, until the challenge period after the latest postScores is over.
    function challengeScore(
        uint256 bountyId,
        address participant,
        uint32 claimedAccuracyPpm
    ) external payable returns (uint256 disputeId);

    // ---------------------------------------------------------------- anyone

    /// @notice Settles a bounty once it is Finalizable; amounts are credited, never sent.
    function finalize(uint256 bountyId) external;

    /// @notice Sends the caller everything credited to it.
    function withdraw() external;

    /// @notice Closes a dispute the arbitrator has not ruled on within `RULING_TIMEOUT`; counts as ruling 1.
    function timeoutDispute(uint256 bountyId, uint256 disputeId) external;

    // ------------------------------------------------------------------ views

    /// @notice The commitment a participant sends to `commit`.
    function commitmentOf(
        uint256 bountyId,
        address participant,
        Hyperparameters calldata hp,
        bytes32 salt
    ) external view returns (bytes32);

    /// @notice Amount credited to `account` and not yet withdrawn, in wei.
    function pendingWithdrawal(address account) external view returns (uint256);

    /// @notice How many bounties have been created (ids run from 1 to this number).
    function bountyCount() external view returns (uint256);

    /// @notice A bounty's phase now.
    function phaseOf(uint256 bountyId) external view returns (Phase);

    /// @notice Every field of a bounty, its phase, counts, the best score so far and its test-data kind.
    function getBounty(uint256 bountyId) external view returns (BountyView memory v);

    /// @notice A participant's submission: commitment, order, reveal and score.
    function submissionOf(uint256 bountyId, address participant) external view returns (SubmissionView memory v);

    /// @notice The best scored submission so far (zero address before any score).
    function leaderOf(uint256 bountyId) external view returns (address leader, uint32 accuracyPpm);

    /// @notice A bounty's arbitration terms and state (all zero without arbitration).
    function arbitrationOf(uint256 bountyId) external view returns (ArbitrationView memory v);

    /// @notice One dispute, by its arbitrator and the arbitrator's dispute id (status None if unknown).
    function disputeOf(address arbitrator, uint256 disputeId) external view returns (DisputeView memory v);
}
