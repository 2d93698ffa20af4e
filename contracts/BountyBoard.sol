// SPDX-License-Identifier: MIT
// Compiled with evmVersion "prague": the newest fork that both chains we run on execute. py-evm 0.12.1b1
// (the embedded chain) stops at Prague, and anvil 1.7 runs Prague and later (Osaka by default).
pragma solidity 0.8.37;

import {IBountyBoard} from "./IBountyBoard.sol";
import {IArbitrator} from "./erc792/IArbitrator.sol";

/// @title BountyBoard: commit-reveal bounties for LSTM hyperparameter searches, settled in ETH.
/// @notice One contract holds every bounty. An owner escrows a reward; participants commit a hash of
/// their hyperparameters, reveal them after the submission deadline, the owner reveals the test data once
/// the reveal window has closed and posts scores, and anyone finalizes. The best score that reaches the bar wins (ties go to the
/// earliest first commit); otherwise the owner is refunded, and if the owner stalls the reward is split
/// among everyone who revealed. Only `withdraw` sends ETH (pull payments).
/// Two kinds of test data: a committed bounty commits to a hidden test file at creation; a forward-test
/// bounty (zero commitment) has test data that does not exist yet and is built by the manifest's rule
/// after the reveal deadline. Each window (submission, reveal, evaluation) lasts at least
/// `MIN_WINDOW_SECONDS`, and a bounty's evaluation deadline is at most `MAX_BOUNTY_DURATION` after its
/// creation, so no owner can shut participants out with a one-second window.
/// Disputes (ERC-792, IArbitrable): an owner may name an arbitrator before anyone commits (`setArbitration`)
/// and deposit an owner's bond. Any revealer may then challenge a posted score (`challengeScore`) until
/// `challengePeriod` seconds after the latest `postScores`; `finalize` waits until that period is over
/// (unless the scores are already void) and no dispute is open. Ruling 1 (the challenger is right) voids the
/// owner's scores: the bounty settles as a stall split, and the challenger is credited the owner's bond (the
/// first winner only) and its own bond back. Ruling 2 (the score stands) or 0 (refused to rule) credits the
/// challenge bond to the owner. The owner's bond comes back at `finalize` (or `cancel`) if no challenger won
/// it. Timeout rule: a dispute the arbitrator has not ruled on `RULING_TIMEOUT` (30 days) after its creation
/// may be closed by anyone with `timeoutDispute`, and counts as ruling 1. The owner chose the arbitrator, so
/// an arbitrator that never rules must not help the owner, and no dispute locks the funds forever.
/// @dev Storage is packed for gas: participants pay for commit and reveal, so each submission lives in
/// exactly one slot for its whole life, and each bounty keeps the fields one call needs in one slot.
/// No function loops over a bounty's participants; `postScores` loops only over its own batch. Arbitration
/// lives in its own mappings, so commit and reveal read no extra slot (a bounty without disputes costs its
/// participants nothing extra); two flags in the Control slot tell postScores and finalize whether to look.
contract BountyBoard is IBountyBoard {
    // ------------------------------------------------------------------ types
    // The public types (Hyperparameters, Phase, Outcome, BountyView, SubmissionView), every event and
    // every error are declared once, in IBountyBoard. These are the storage types.

    enum Status {
        None, // no such bounty
        Open,
        Finalized,
        Cancelled
    }

    // Each nested struct starts its own storage slot; the comment says which calls touch it.

    /// Slot 0: the owner and the escrowed reward (read by owner-only calls).
    struct Prize {
        address owner;
        uint96 reward;
    }

    /// Slot 1, written by postScores: who leads and how far evaluation has got.
    struct Control {
        address leader;
        uint32 bestAccuracyPpm; // the leader's score
        uint24 scoredCount;
        bool testDataRevealed;
        Outcome outcome;
        bool arbitrated; // setArbitration was called: postScores records its time, finalize checks disputes
        bool voided; // a challenger won: the scores are void, the bounty settles as a stall split
    }

    /// Slot 2, written by reveal: the reveal count and the first revealer (who gets the indivisible
    /// remainder of a split) beside the task's terms, so the first reveal costs what every other does.
    /// `forwardTest` fills the slot's last byte, so storing it costs nothing at creation.
    struct Terms {
        address firstRevealer;
        uint24 revealCount;
        uint32 minAccuracyPpm;
        uint16 sequenceLength;
        uint16 futurePeriod;
        bool forwardTest; // created with a zero test-data commitment: test data built after the reveal window
    }

    /// Slot 3, read by commit and reveal: deadlines, bond, commit count and status, so a participant's
    /// call reads one slot for all its checks. uint40 seconds last until the year 36812; the bond is
    /// capped at 2^80 wei (about 1.2 million ETH).
    struct Timeline {
        uint40 submissionDeadline;
        uint40 revealDeadline;
        uint40 evaluationDeadline;
        uint80 commitBond;
        uint24 commitCount;
        Status status;
    }

    struct Bounty {
        Prize prize;
        Control control;
        Terms terms;
        Timeline timeline;
        bytes32 manifestDigest;
        // keccak256(abi.encode(testDataDigest, salt)) until `revealTestData`, then the digest itself.
        // Zero until then exactly for a forward-test bounty.
        bytes32 testData;
    }

    /// @dev One slot per participant and bounty. `payload` holds the first 22 bytes of the commitment
    /// until the reveal (finding two openings of one 176-bit prefix takes ~2^88 hashes), and the packed
    /// hyperparameters after it: the commitment is no longer needed once it has been opened.
    struct Submission {
        uint24 commitOrder; // 1-based order of the participant's first commit; 0 = never committed
        bool revealed;
        bool scored;
        bool shareClaimed;
        uint32 accuracyPpm;
        bytes22 payload;
    }

    /// Slot A, read by challengeScore, postScores (time of the latest scores) and finalize.
    /// Slot B: the bonds, and whether the owner's bond was already credited.
    struct Arbitration {
        IArbitrator arbitrator;
        uint40 lastScoresAt;
        uint32 challengePeriod;
        uint24 openDisputes;
        uint96 ownerBond;
        uint96 challengeBond;
        bool ownerBondPaid;
    }

    /// Two slots per dispute. Bounty ids are sequential, so uint64 holds every one.
    struct Dispute {
        address challenger;
        uint40 createdAt;
        uint32 claimedAccuracyPpm;
        DisputeStatus status;
        uint8 ruling;
        address participant;
        uint32 postedAccuracyPpm;
        uint64 bountyId;
    }

    // -------------------------------------------------------------- constants

    /// @notice 100 % in parts per million: the largest accuracy and bar.
    uint32 public constant MAX_ACCURACY_PPM = 1_000_000;
    /// @notice The longest input window a task may ask for.
    uint16 public constant MAX_SEQUENCE_LENGTH = 1024;
    /// @notice The furthest ahead a task may predict.
    uint16 public constant MAX_FUTURE_PERIOD = 1024;
    /// @notice The shortest a submission, reveal or evaluation window may last, in seconds (5 minutes).
    uint64 public constant MIN_WINDOW_SECONDS = 5 minutes;
    /// @notice The latest an evaluation deadline may fall after the bounty's creation, in seconds (365 days).
    uint64 public constant MAX_BOUNTY_DURATION = 365 days;
    /// @notice The longest challenge period an owner may set, in seconds (30 days).
    uint64 public constant MAX_CHALLENGE_PERIOD = 30 days;
    /// @notice How long an arbitrator has to rule (30 days); after it anyone may close the dispute with
    /// `timeoutDispute`, and it counts as ruling 1 (the challenger is right).
    uint64 public constant RULING_TIMEOUT = 30 days;

    uint256 private constant RULING_CHALLENGER_RIGHT = 1;
    uint256 private constant RULING_SCORE_STANDS = 2;

    // ------------------------------------------------------------------ state

    /// @dev Starts at 1 (set in the constructor) so ids start at 1 and no bounty pays to create the slot.
    uint256 private _nextBountyId;
    mapping(uint256 bountyId => Bounty) private _bounties;
    mapping(uint256 bountyId => mapping(address participant => Submission)) private _submissions;
    mapping(address account => uint256 amount) private _credits;
    mapping(uint256 bountyId => Arbitration) private _arbitrations;
    mapping(address arbitrator => mapping(uint256 disputeId => Dispute)) private _disputes;
    /// @dev Set for the length of `challengeScore`, whose call to the arbitrator could re-enter it.
    bool private transient _challenging;

    /// @dev Blocks re-entry into `challengeScore` from the arbitrator it calls. Re-entering `rule` or
    /// `timeoutDispute` finds no dispute yet, and `finalize` finds the dispute already counted as open.
    modifier nonReentrant() {
        if (_challenging) revert ReentrantCall();
        _challenging = true;
        _;
        _challenging = false;
    }

    constructor() {
        _nextBountyId = 1;
    }

    // ---------------------------------------------------------- owner actions

    /// @notice Posts a bounty; `msg.value` is the reward. Each window lasts at least `MIN_WINDOW_SECONDS`
    /// (the submission window from this block), and the evaluation deadline is at most
    /// `MAX_BOUNTY_DURATION` after this block.
    /// @param manifestDigest sha256 digest inside the task manifest's CIDv0.
    /// @param testDataCommitment keccak256(abi.encode(testDataDigest, salt)) of the hidden test split, or
    /// zero for a forward-test bounty (test data built by the manifest's rule after the reveal deadline).
    /// @param minAccuracyPpm the bar a winner must reach, 1..1_000_000 parts per million.
    /// @param sequenceLength input window of the task, 1..1024.
    /// @param futurePeriod how far ahead the task predicts, 1..1024.
    /// @param submissionDeadline commits are accepted while block.timestamp is below it.
    /// @param revealDeadline reveals are accepted from submissionDeadline until it.
    /// @param evaluationDeadline test data and scores are accepted from revealDeadline until it.
    /// @param commitBond wei each participant deposits with its first commit (may be 0).
    /// @return bountyId the new bounty's id (ids start at 1).
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
    ) external payable returns (uint256 bountyId) {
        _checkRange("reward", msg.value, 1, type(uint96).max);
        _checkRange("manifestDigest", uint256(manifestDigest), 1, type(uint256).max);
        _checkRange("minAccuracyPpm", minAccuracyPpm, 1, MAX_ACCURACY_PPM);
        _checkRange("sequenceLength", sequenceLength, 1, MAX_SEQUENCE_LENGTH);
        _checkRange("futurePeriod", futurePeriod, 1, MAX_FUTURE_PERIOD);
        _checkRange("commitBond", commitBond, 0, type(uint80).max);
        _checkDeadlines(submissionDeadline, revealDeadline, evaluationDeadline);

        bountyId = _nextBountyId;
        unchecked {
            _nextBountyId = bountyId + 1; // cannot overflow: one id per transaction
        }
        Bounty storage b = _bounties[bountyId];
        b.prize = Prize(msg.sender, uint96(msg.value));
        b.terms = Terms(
            address(0),
            0,
            minAccuracyPpm,
            sequenceLength,
            futurePeriod,
            testDataCommitment == bytes32(0)
        );
        b.timeline = Timeline(
            uint40(submissionDeadline),
            uint40(revealDeadline),
            uint40(evaluationDeadline),
            uint80(commitBond),
            0,
            Status.Open
        );
        b.manifestDigest = manifestDigest;
        b.testData = testDataCommitment;
        emit BountyCreated(
            bountyId,
            msg.sender,
            msg.value,
            manifestDigest,
            minAccuracyPpm,
            submissionDeadline,
            revealDeadline,
            evaluationDeadline,
            commitBond
        );
    }

    /// @notice Withdraws a bounty nobody has committed to yet, before its submission deadline; the reward
    /// is credited back to the owner (collect it with `withdraw`).
    /// @param bountyId the bounty to cancel.
    function cancel(uint256 bountyId) external {
        Bounty storage b = _openBounty(bountyId);
        _onlyOwner(bountyId, b.prize.owner);
        Timeline memory t = b.timeline;
        if (t.commitCount != 0 || block.timestamp >= t.submissionDeadline) {
            revert CancelNotAllowed(bountyId, t.commitCount, t.submissionDeadline, _now());
        }
        b.timeline.status = Status.Cancelled;
        uint256 refund = b.prize.reward;
        _credits[msg.sender] += refund;
        emit Cancelled(bountyId, msg.sender, refund);
        if (b.control.arbitrated) _returnOwnerBond(bountyId, msg.sender);
    }

    /// @notice Names the ERC-792 arbitrator that rules on this bounty's disputes; `msg.value` is the owner's
    /// bond, forfeited to the first challenger who wins and credited back at `finalize` (or `cancel`)
    /// otherwise. Owner only, once per bounty, before any commit and before the submission deadline, so
    /// every participant knows the terms before committing. Without this call a bounty has no disputes.
    /// @param bountyId the bounty.
    /// @param arbitrator an ERC-792 arbitrator (a contract).
    /// @param challengeBond wei a challenger deposits besides the arbitration cost (may be 0).
    /// @param challengePeriod seconds after the latest postScores during which scores may be challenged,
    /// `MIN_WINDOW_SECONDS`..`MAX_CHALLENGE_PERIOD`.
    function setArbitration(
        uint256 bountyId,
        address arbitrator,
        uint96 challengeBond,
        uint32 challengePeriod
    ) external payable {
        Bounty storage b = _openBounty(bountyId);
        _onlyOwner(bountyId, b.prize.owner);
        if (b.control.arbitrated) revert ArbitrationAlreadySet(bountyId);
        Timeline memory t = b.timeline;
        if (t.commitCount != 0 || block.timestamp >= t.submissionDeadline) {
            revert ArbitrationTooLate(bountyId, t.commitCount, t.submissionDeadline, _now());
        }
        if (msg.value == 0) revert OwnerBondRequired(bountyId);
        _checkRange("ownerBond", msg.value, 1, type(uint96).max);
        if (arbitrator.code.length == 0) revert ArbitratorNotContract(arbitrator);
        if (challengePeriod < MIN_WINDOW_SECONDS || challengePeriod > MAX_CHALLENGE_PERIOD) {
            revert ChallengePeriodOutOfRange(challengePeriod, MIN_WINDOW_SECONDS, MAX_CHALLENGE_PERIOD);
        }

        b.control.arbitrated = true;
        _arbitrations[bountyId] = Arbitration(
            IArbitrator(arbitrator),
            0,
            challengePeriod,
            0,
            uint96(msg.value),
            challengeBond,
            false
        );
        emit ArbitrationSet(bountyId, arbitrator, msg.value, challengeBond, challengePeriod);
    }

    /// @notice Publishes the test data's digest in the evaluation window (from the reveal deadline), so
    /// anyone can re-run the evaluation; no participant sees test data while it can still choose what
    /// to reveal. Required before `postScores`.
    /// @dev A committed bounty must open its commitment; a forward-test bounty takes any non-zero digest
    /// with salt 0. `testData` is zero before the reveal exactly for a forward-test bounty (a committed one
    /// holds its non-zero commitment), so the kind is read from the slot this call reads anyway.
    /// @param bountyId the bounty.
    /// @param testDataDigest sha256 digest inside the test file's CIDv0.
    /// @param salt the salt used in the commitment given to `createBounty` (0 for a forward-test bounty).
    function revealTestData(uint256 bountyId, bytes32 testDataDigest, bytes32 salt) external {
        Bounty storage b = _openBounty(bountyId);
        _onlyOwner(bountyId, b.prize.owner);
        Timeline memory t = b.timeline;
        if (block.timestamp < t.revealDeadline) {
            revert TestDataRevealNotOpen(bountyId, t.revealDeadline, _now());
        }
        if (block.timestamp >= t.evaluationDeadline) {
            revert TestDataRevealClosed(bountyId, t.evaluationDeadline, _now());
        }
        if (b.control.testDataRevealed) revert TestDataAlreadyRevealed(bountyId);
        bytes32 committed = b.testData;
        if (committed == bytes32(0)) {
            if (testDataDigest == bytes32(0)) revert EmptyTestDataDigest(bountyId);
            if (salt != bytes32(0)) revert ForwardTestSaltNotZero(bountyId, salt);
        } else if (keccak256(abi.encode(testDataDigest, salt)) != committed) {
            revert TestDataMismatch(bountyId);
        }

        b.control.testDataRevealed = true;
        b.testData = testDataDigest;
        emit TestDataRevealed(bountyId, testDataDigest, salt);
    }

    /// @notice Posts the accuracy of revealed submissions, in one or several batches, during the
    /// evaluation window and after `revealTestData`. Each participant is scored once.
    /// @param bountyId the bounty.
    /// @param participants revealed, not yet scored participants.
    /// @param accuraciesPpm their accuracies on the test data, 0..1_000_000 parts per million.
    /// @param reportDigest sha256 digest inside the CIDv0 of the evaluation report (the latest one wins).
    function postScores(
        uint256 bountyId,
        address[] calldata participants,
        uint32[] calldata accuraciesPpm,
        bytes32 reportDigest
    ) external {
        Bounty storage b = _openBounty(bountyId);
        _onlyOwner(bountyId, b.prize.owner);
        Control memory c = b.control;
        Timeline memory t = b.timeline;
        if (block.timestamp < t.revealDeadline) revert EvaluationWindowNotOpen(bountyId, t.revealDeadline, _now());
        if (block.timestamp >= t.evaluationDeadline) {
            revert EvaluationWindowClosed(bountyId, t.evaluationDeadline, _now());
        }
        if (!c.testDataRevealed) revert TestDataNotRevealed(bountyId);
        if (c.voided) revert ScoresVoided(bountyId);
        if (participants.length != accuraciesPpm.length) {
            revert LengthMismatch(participants.length, accuraciesPpm.length);
        }

        mapping(address => Submission) storage submissions = _submissions[bountyId];
        for (uint256 i = 0; i < participants.length; ) {
            _score(bountyId, submissions, participants[i], accuraciesPpm[i], c);
            unchecked {
                ++i; // bounded by the calldata length
            }
        }
        // Checked: cannot overflow, each revealed participant is scored once and reveals fit uint24.
        c.scoredCount += uint24(participants.length);
        // only the fields a batch changes: a whole-struct copy writes the slot field by field
        Control storage control = b.control;
        (control.leader, control.bestAccuracyPpm, control.scoredCount) = (
            c.leader,
            c.bestAccuracyPpm,
            c.scoredCount
        );
        // the challenge period runs from the latest scores
        if (c.arbitrated) _arbitrations[bountyId].lastScoresAt = uint40(block.timestamp);
        emit ScoresPosted(bountyId, reportDigest);
    }

    // ---------------------------------------------------- participant actions

    /// @notice Commits (or replaces) the caller's sealed submission while the submission window is open.
    /// @dev The first commit must carry exactly the bounty's bond; a replacement carries nothing and keeps
    /// the first commit's place in the tie-break order.
    /// @param bountyId the bounty.
    /// @param commitment `commitmentOf(bountyId, msg.sender, hp, salt)`.
    function commit(uint256 bountyId, bytes32 commitment) external payable {
        Timeline memory t = _bounties[bountyId].timeline;
        if (t.status != Status.Open) _revertNotOpen(bountyId, t.status);
        if (block.timestamp >= t.submissionDeadline) {
            revert SubmissionWindowClosed(bountyId, t.submissionDeadline, _now());
        }
        if (commitment == bytes32(0)) revert EmptyCommitment(bountyId);

        Submission storage s = _submissions[bountyId][msg.sender];
        uint24 order = s.commitOrder;
        if (order == 0) {
            if (msg.value != t.commitBond) revert WrongBond(bountyId, t.commitBond, msg.value);
            order = t.commitCount + 1; // checked: reverts past 2^24 - 1 participants
            _bounties[bountyId].timeline.commitCount = order;
            s.commitOrder = order;
        } else if (msg.value != 0) {
            revert WrongBond(bountyId, 0, msg.value);
        }
        s.payload = bytes22(commitment);
        emit Committed(bountyId, msg.sender, commitment, order);
    }

    /// @notice Opens the caller's commitment during the reveal window; its bond is credited back.
    /// @param bountyId the bounty.
    /// @param hp the committed hyperparameters (ranges checked here).
    /// @param salt the committed salt.
    function reveal(uint256 bountyId, Hyperparameters calldata hp, bytes32 salt) external {
        Bounty storage b = _bounties[bountyId];
        Timeline memory t = b.timeline;
        if (t.status != Status.Open) _revertNotOpen(bountyId, t.status);
        if (block.timestamp < t.submissionDeadline) {
            revert RevealWindowNotOpen(bountyId, t.submissionDeadline, _now());
        }
        if (block.timestamp >= t.revealDeadline) revert RevealWindowClosed(bountyId, t.revealDeadline, _now());
        _checkHyperparameters(hp);

        Submission storage s = _submissions[bountyId][msg.sender];
        if (s.commitOrder == 0) revert NoCommitment(bountyId, msg.sender);
        if (s.revealed) revert AlreadyRevealed(bountyId, msg.sender);
        if (bytes22(commitmentOf(bountyId, msg.sender, hp, salt)) != s.payload) {
            revert CommitmentMismatch(bountyId, msg.sender);
        }

        s.revealed = true;
        s.payload = bytes22(uint176(_packHyperparameters(hp)));
        Terms storage terms = b.terms;
        uint24 revealCount = terms.revealCount;
        if (revealCount == 0) terms.firstRevealer = msg.sender;
        terms.revealCount = revealCount + 1; // at most commitCount, which fits uint24
        if (t.commitBond != 0) _credits[msg.sender] += t.commitBond;
        emit Revealed(bountyId, msg.sender);
    }

    /// @notice After a stall split, credits the caller's equal share of the reward (once per revealer).
    /// @param bountyId the bounty.
    function claimShare(uint256 bountyId) external {
        Bounty storage b = _bounties[bountyId];
        if (b.timeline.status == Status.None) revert UnknownBounty(bountyId);
        Outcome outcome = b.control.outcome;
        if (outcome != Outcome.StallSplit) revert NotAStallSplit(bountyId, outcome);
        Submission storage s = _submissions[bountyId][msg.sender];
        if (!s.revealed) revert NotARevealer(bountyId, msg.sender);
        if (s.shareClaimed) revert ShareAlreadyClaimed(bountyId, msg.sender);

        s.shareClaimed = true;
        uint256 share = b.prize.reward / b.terms.revealCount;
        _credits[msg.sender] += share;
        emit ShareClaimed(bountyId, msg.sender, share);
    }

    /// @notice Challenges a posted score at the bounty's arbitrator: the caller claims that `participant`'s
    /// submission scores `claimedAccuracyPpm`, not what the owner posted (anyone can re-run the evaluation).
    /// Any participant who revealed on this bounty, against any posted score (its own included), until
    /// `challengePeriod` seconds after the latest `postScores`, while the bounty is open and its scores are
    /// not void. `msg.value` must be the challenge bond plus `arbitrator.arbitrationCost("")`; the cost is
    /// paid to the arbitrator's `createDispute` (2 choices: 1 = the challenger is right, 2 = the score
    /// stands), the bond stays here until the ruling.
    /// @dev The dispute is counted as open before the arbitrator is called, so a re-entering `finalize`
    /// waits for it; the dispute itself can only be stored under the id the arbitrator returns.
    /// @param bountyId the bounty.
    /// @param participant whose posted score is challenged.
    /// @param claimedAccuracyPpm the score the challenger's re-run gives, in parts per million.
    /// @return disputeId the arbitrator's dispute id (what it passes to `rule`).
    function challengeScore(
        uint256 bountyId,
        address participant,
        uint32 claimedAccuracyPpm
    ) external payable nonReentrant returns (uint256 disputeId) {
        Bounty storage b = _openBounty(bountyId);
        if (!b.control.arbitrated) revert NoArbitration(bountyId);
        if (b.control.voided) revert ScoresVoided(bountyId);
        mapping(address => Submission) storage submissions = _submissions[bountyId];
        if (!submissions[msg.sender].revealed) revert ChallengerDidNotReveal(bountyId, msg.sender);
        Submission memory challenged = submissions[participant];
        if (!challenged.scored) revert NoPostedScore(bountyId, participant);
        if (claimedAccuracyPpm > MAX_ACCURACY_PPM) {
            revert AccuracyOutOfRange(bountyId, participant, claimedAccuracyPpm);
        }
        Arbitration storage a = _arbitrations[bountyId];
        uint64 endsAt = uint64(a.lastScoresAt) + a.challengePeriod;
        if (block.timestamp >= endsAt) revert ChallengePeriodOver(bountyId, endsAt, _now());
        IArbitrator arbitrator = a.arbitrator;
        uint256 cost = arbitrator.arbitrationCost("");
        uint256 expected = uint256(a.challengeBond) + cost;
        if (msg.value != expected) revert WrongChallengeValue(bountyId, expected, msg.value);

        a.openDisputes += 1; // checked: reverts past 2^24 - 1 open disputes
        disputeId = arbitrator.createDispute{value: cost}(2, "");
        Dispute storage d = _disputes[address(arbitrator)][disputeId];
        if (d.status != DisputeStatus.None) revert DisputeIdReused(address(arbitrator), disputeId);
        _disputes[address(arbitrator)][disputeId] = Dispute(
            msg.sender,
            uint40(block.timestamp),
            claimedAccuracyPpm,
            DisputeStatus.Open,
            0,
            participant,
            challenged.accuracyPpm,
            uint64(bountyId)
        );
        emit ScoreChallenged(
            bountyId,
            disputeId,
            msg.sender,
            participant,
            challenged.accuracyPpm,
            claimedAccuracyPpm
        );
    }

    // ---------------------------------------------------------- anyone

    /// @notice Settles a bounty once it is Finalizable. O(1): amounts are credited, never sent.
    /// @dev No reveals: reward to the owner. All reveals scored: reward to the leader if it reaches the
    /// bar, else to the owner. Otherwise (evaluation deadline passed, reveals unscored; or a challenger won
    /// and voided the scores): each revealer claims reward / revealCount with `claimShare`, the remainder
    /// goes to the first revealer now. Bonds of commits never revealed go to the owner in every case. With
    /// arbitration it also waits until the challenge period after the latest scores is over and no dispute
    /// is open, and credits the owner's bond back unless a challenger won it.
    /// @param bountyId the bounty.
    function finalize(uint256 bountyId) external {
        Bounty storage b = _openBounty(bountyId);
        Timeline memory t = b.timeline;
        Control memory c = b.control;
        Terms memory terms = b.terms;
        Prize memory prize = b.prize;
        if (_clockPhase(t, c, terms.revealCount) != Phase.Finalizable) {
            uint64 earliest = terms.revealCount == c.scoredCount || c.voided
                ? t.revealDeadline
                : t.evaluationDeadline;
            revert FinalizeTooEarly(bountyId, earliest, _now());
        }
        if (c.arbitrated) _checkNoChallengePending(bountyId, c.voided);

        Outcome outcome;
        address recipient;
        uint256 amount = prize.reward;
        if (terms.revealCount == 0) {
            (outcome, recipient) = (Outcome.NoReveals, prize.owner);
        } else if (terms.revealCount == c.scoredCount && !c.voided) {
            if (c.bestAccuracyPpm >= terms.minAccuracyPpm) (outcome, recipient) = (Outcome.WinnerPaid, c.leader);
            else (outcome, recipient) = (Outcome.BelowBar, prize.owner);
        } else {
            (outcome, recipient) = (Outcome.StallSplit, terms.firstRevealer);
            amount = prize.reward % terms.revealCount;
        }
        uint256 unrevealedBonds;
        unchecked {
            // revealCount <= commitCount, and the bonds were paid in, so the product fits.
            unrevealedBonds = uint256(t.commitCount - terms.revealCount) * t.commitBond;
        }

        b.timeline.status = Status.Finalized;
        b.control.outcome = outcome;
        if (amount != 0) _credits[recipient] += amount;
        if (unrevealedBonds != 0) _credits[prize.owner] += unrevealedBonds;
        emit Finalized(bountyId, outcome, recipient, amount, unrevealedBonds);
        if (c.arbitrated) _returnOwnerBond(bountyId, prize.owner);
    }

    /// @notice Sends the caller everything credited to it (rewards, refunds, bonds, shares).
    /// @dev The credit is zeroed before the transfer, so re-entering finds nothing; a receiver that
    /// reverts only fails its own withdrawal and keeps its credit.
    function withdraw() external {
        uint256 amount = _credits[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        _credits[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        (bool ok, ) = payable(msg.sender).call{value: amount}("");
        if (!ok) revert WithdrawFailed(msg.sender, amount);
    }

    /// @notice ERC-792: the arbitrator's ruling on one of its disputes, enforced at once. 1: the challenger
    /// is right (the scores are void, the bounty settles as a stall split, the challenger is credited the
    /// owner's bond if no one won it before, and its own bond back); 2 (the score stands) or 0 (refused to
    /// rule): the challenge bond is credited to the owner. Only the arbitrator that holds the dispute, once.
    /// @param _disputeID the arbitrator's dispute id.
    /// @param _ruling 0, 1 or 2.
    // slither-disable-next-line naming-convention
    function rule(uint256 _disputeID, uint256 _ruling) external {
        Dispute storage d = _disputes[msg.sender][_disputeID];
        if (d.status == DisputeStatus.None) revert NotArbitrator(_disputeID, msg.sender);
        uint256 bountyId = d.bountyId;
        if (d.status != DisputeStatus.Open) revert DisputeAlreadyRuled(bountyId, _disputeID);
        if (_ruling > RULING_SCORE_STANDS) revert InvalidRuling(_disputeID, _ruling);

        d.status = DisputeStatus.Ruled;
        d.ruling = uint8(_ruling);
        _close(bountyId, d.challenger, _ruling == RULING_CHALLENGER_RIGHT);
        emit Ruling(IArbitrator(msg.sender), _disputeID, _ruling);
        emit DisputeRuled(bountyId, _disputeID, _ruling);
    }

    /// @notice Timeout rule: closes a dispute its arbitrator has not ruled on `RULING_TIMEOUT` (30 days) after
    /// its creation, as if the arbitrator had ruled 1 (the challenger is right). Anyone may call it. The
    /// owner chose the arbitrator, so an arbitrator that never rules must not help the owner, and no dispute
    /// keeps a bounty from settling forever. A ruling that arrives later is refused.
    /// @param bountyId the bounty.
    /// @param disputeId the arbitrator's dispute id.
    function timeoutDispute(uint256 bountyId, uint256 disputeId) external {
        if (!_bounty(bountyId).control.arbitrated) revert NoArbitration(bountyId);
        Dispute storage d = _disputes[address(_arbitrations[bountyId].arbitrator)][disputeId];
        if (d.status == DisputeStatus.None || d.bountyId != bountyId) revert UnknownDispute(bountyId, disputeId);
        if (d.status != DisputeStatus.Open) revert DisputeAlreadyRuled(bountyId, disputeId);
        uint64 until = uint64(d.createdAt) + RULING_TIMEOUT;
        if (block.timestamp < until) revert RulingNotTimedOut(bountyId, disputeId, until, _now());

        d.status = DisputeStatus.TimedOut;
        d.ruling = uint8(RULING_CHALLENGER_RIGHT);
        _close(bountyId, d.challenger, true);
        emit DisputeTimedOut(bountyId, disputeId);
    }

    // ------------------------------------------------------------------ views

    /// @notice The commitment a participant sends to `commit`; binds it to the participant, this chain
    /// and this contract, so a copied commitment or reveal fails for anyone else.
    /// @param bountyId the bounty.
    /// @param participant the committing address.
    /// @param hp the hyperparameters.
    /// @param salt a random 32-byte secret.
    /// @return the commitment.
    function commitmentOf(
        uint256 bountyId,
        address participant,
        Hyperparameters calldata hp,
        bytes32 salt
    ) public view returns (bytes32) {
        return keccak256(abi.encode(block.chainid, address(this), bountyId, participant, hp, salt));
    }

    /// @notice Amount credited to `account` and not yet withdrawn.
    /// @param account the address.
    /// @return the credited amount in wei.
    function pendingWithdrawal(address account) external view returns (uint256) {
        return _credits[account];
    }

    /// @notice How many bounties have been created (ids run from 1 to this number).
    /// @return the count.
    function bountyCount() external view returns (uint256) {
        return _nextBountyId - 1;
    }

    /// @notice A bounty's phase now.
    /// @param bountyId the bounty.
    /// @return the phase.
    function phaseOf(uint256 bountyId) public view returns (Phase) {
        Bounty storage b = _bounty(bountyId);
        return _phase(bountyId, b.timeline, b.control, b.terms.revealCount);
    }

    /// @notice Every field of a bounty, its phase, counts, the best score so far and its test-data kind.
    /// @param bountyId the bounty.
    /// @return v the bounty.
    function getBounty(uint256 bountyId) external view returns (BountyView memory v) {
        Bounty storage b = _bounty(bountyId);
        Control memory c = b.control;
        Timeline memory t = b.timeline;
        Terms memory terms = b.terms;
        v.id = bountyId;
        v.owner = b.prize.owner;
        v.reward = b.prize.reward;
        v.manifestDigest = b.manifestDigest;
        if (c.testDataRevealed) v.testDataDigest = b.testData;
        else v.testDataCommitment = b.testData;
        v.minAccuracyPpm = terms.minAccuracyPpm;
        v.sequenceLength = terms.sequenceLength;
        v.futurePeriod = terms.futurePeriod;
        v.submissionDeadline = t.submissionDeadline;
        v.revealDeadline = t.revealDeadline;
        v.evaluationDeadline = t.evaluationDeadline;
        v.commitBond = t.commitBond;
        v.commitCount = t.commitCount;
        v.revealCount = terms.revealCount;
        v.scoredCount = c.scoredCount;
        v.testDataRevealed = c.testDataRevealed;
        v.phase = _phase(bountyId, t, c, terms.revealCount);
        v.outcome = c.outcome;
        v.leader = c.leader;
        v.bestAccuracyPpm = c.bestAccuracyPpm;
        v.firstRevealer = terms.firstRevealer;
        v.forwardTest = terms.forwardTest;
    }

    /// @notice A participant's submission: commitment, order, reveal and score.
    /// @param bountyId the bounty.
    /// @param participant the participant.
    /// @return v the submission (all zero if the participant never committed).
    function submissionOf(uint256 bountyId, address participant) external view returns (SubmissionView memory v) {
        _bounty(bountyId);
        Submission memory s = _submissions[bountyId][participant];
        v.commitOrder = s.commitOrder;
        v.revealed = s.revealed;
        if (s.revealed) v.hp = _unpackHyperparameters(uint96(uint176(s.payload)));
        else v.commitmentPrefix = s.payload;
        v.scored = s.scored;
        v.accuracyPpm = s.accuracyPpm;
        v.shareClaimed = s.shareClaimed;
    }

    /// @notice The best scored submission so far (zero address before any score).
    /// @param bountyId the bounty.
    /// @return leader the leading participant.
    /// @return accuracyPpm its accuracy.
    function leaderOf(uint256 bountyId) external view returns (address leader, uint32 accuracyPpm) {
        Bounty storage b = _bounty(bountyId);
        return (b.control.leader, b.control.bestAccuracyPpm);
    }

    /// @notice A bounty's arbitration terms and state (all zero without arbitration).
    /// @param bountyId the bounty.
    /// @return v the arbitration.
    function arbitrationOf(uint256 bountyId) external view returns (ArbitrationView memory v) {
        Bounty storage b = _bounty(bountyId);
        if (!b.control.arbitrated) return v;
        Arbitration memory a = _arbitrations[bountyId];
        v.arbitrator = address(a.arbitrator);
        v.ownerBond = a.ownerBond;
        v.challengeBond = a.challengeBond;
        v.challengePeriod = a.challengePeriod;
        v.lastScoresAt = a.lastScoresAt;
        if (a.lastScoresAt != 0) v.challengeDeadline = uint64(a.lastScoresAt) + a.challengePeriod;
        v.openDisputes = a.openDisputes;
        v.voided = b.control.voided;
        v.ownerBondPaid = a.ownerBondPaid;
    }

    /// @notice One dispute, by its arbitrator and the arbitrator's dispute id (status None if unknown).
    /// @param arbitrator the arbitrator.
    /// @param disputeId its dispute id.
    /// @return v the dispute.
    function disputeOf(address arbitrator, uint256 disputeId) external view returns (DisputeView memory v) {
        Dispute memory d = _disputes[arbitrator][disputeId];
        if (d.status == DisputeStatus.None) return v;
        v.bountyId = d.bountyId;
        v.disputeId = disputeId;
        v.arbitrator = arbitrator;
        v.challenger = d.challenger;
        v.participant = d.participant;
        v.postedAccuracyPpm = d.postedAccuracyPpm;
        v.claimedAccuracyPpm = d.claimedAccuracyPpm;
        v.createdAt = d.createdAt;
        v.timeoutAt = uint64(d.createdAt) + RULING_TIMEOUT;
        v.status = d.status;
        v.ruling = d.ruling;
    }

    // --------------------------------------------------------------- internal

    function _now() private view returns (uint64) {
        return uint64(block.timestamp);
    }

    function _bounty(uint256 bountyId) private view returns (Bounty storage b) {
        b = _bounties[bountyId];
        if (b.timeline.status == Status.None) revert UnknownBounty(bountyId);
    }

    function _openBounty(uint256 bountyId) private view returns (Bounty storage b) {
        b = _bounties[bountyId];
        Status status = b.timeline.status;
        if (status != Status.Open) _revertNotOpen(bountyId, status);
    }

    function _revertNotOpen(uint256 bountyId, Status status) private pure {
        if (status == Status.None) revert UnknownBounty(bountyId);
        revert BountyClosed(bountyId, status == Status.Finalized ? Phase.Finalized : Phase.Cancelled);
    }

    function _onlyOwner(uint256 bountyId, address owner) private view {
        if (msg.sender != owner) revert NotBountyOwner(bountyId, msg.sender, owner);
    }

    /// @dev The phase by the clock and the scores alone; a voided bounty is finalizable (as a stall split)
    /// from the reveal deadline on.
    function _clockPhase(Timeline memory t, Control memory c, uint24 revealCount) private view returns (Phase) {
        if (t.status == Status.Finalized) return Phase.Finalized;
        if (t.status == Status.Cancelled) return Phase.Cancelled;
        if (block.timestamp < t.submissionDeadline) return Phase.Submission;
        if (block.timestamp < t.revealDeadline) return Phase.Reveal;
        if (block.timestamp >= t.evaluationDeadline || c.scoredCount == revealCount || c.voided) {
            return Phase.Finalizable;
        }
        return Phase.Evaluation;
    }

    /// @dev The clock phase, except that an arbitrated bounty stays in Evaluation while its scores can still be
    /// challenged or a dispute waits for its ruling, i.e. until `finalize` would accept it.
    function _phase(
        uint256 bountyId,
        Timeline memory t,
        Control memory c,
        uint24 revealCount
    ) private view returns (Phase) {
        Phase phase = _clockPhase(t, c, revealCount);
        if (phase == Phase.Finalizable && c.arbitrated) {
            Arbitration storage a = _arbitrations[bountyId];
            bool challengeable = !c.voided && block.timestamp < _challengeEnd(a);
            if (a.openDisputes != 0 || challengeable) return Phase.Evaluation;
        }
        return phase;
    }

    /// @dev When the challenge period after the latest scores ends (0 before any scores).
    function _challengeEnd(Arbitration storage a) private view returns (uint64) {
        uint40 last = a.lastScoresAt;
        return last == 0 ? 0 : uint64(last) + a.challengePeriod;
    }

    /// @dev finalize's arbitration conditions: the challenge period is over (void scores can no longer be
    /// challenged, so then it no longer matters) and no dispute is open.
    function _checkNoChallengePending(uint256 bountyId, bool voided) private view {
        Arbitration storage a = _arbitrations[bountyId];
        uint64 endsAt = _challengeEnd(a);
        if (!voided && block.timestamp < endsAt) revert ChallengePeriodNotOver(bountyId, endsAt, _now());
        if (a.openDisputes != 0) revert DisputeOpen(bountyId, a.openDisputes);
    }

    /// @dev Settles one dispute's bonds. The challenger won: the scores are void, its bond comes back and
    /// the owner's bond is credited to it unless an earlier winner took it. Otherwise the challenge bond
    /// goes to the owner.
    function _close(uint256 bountyId, address challenger, bool challengerWon) private {
        Bounty storage b = _bounties[bountyId];
        Arbitration storage a = _arbitrations[bountyId];
        a.openDisputes -= 1; // the dispute was open, so at least 1
        uint256 bond = a.challengeBond;
        address owner = b.prize.owner;
        if (challengerWon) {
            b.control.voided = true;
            if (bond != 0) _credit(bountyId, challenger, bond, false);
            if (!a.ownerBondPaid) {
                a.ownerBondPaid = true;
                _credit(bountyId, challenger, a.ownerBond, true);
            }
        } else if (bond != 0) {
            _credit(bountyId, owner, bond, false);
        }
    }

    /// @dev Credits the owner's bond back at finalize or cancel, unless a challenger won it.
    function _returnOwnerBond(uint256 bountyId, address owner) private {
        Arbitration storage a = _arbitrations[bountyId];
        if (a.ownerBondPaid) return;
        a.ownerBondPaid = true;
        _credit(bountyId, owner, a.ownerBond, true);
    }

    function _credit(uint256 bountyId, address recipient, uint256 amount, bool ownerBond) private {
        _credits[recipient] += amount;
        emit BondCredited(bountyId, recipient, amount, ownerBond);
    }

    /// @dev Records one score and updates the leader in `c` (written back by the caller). A score beats
    /// the leader's if higher, or equal with an earlier first commit; the leader's order is read only
    /// on a tie.
    function _score(
        uint256 bountyId,
        mapping(address => Submission) storage submissions,
        address participant,
        uint32 accuracy,
        Control memory c
    ) private {
        Submission storage s = submissions[participant];
        if (!s.revealed) revert NotRevealed(bountyId, participant);
        if (s.scored) revert AlreadyScored(bountyId, participant);
        if (accuracy > MAX_ACCURACY_PPM) revert AccuracyOutOfRange(bountyId, participant, accuracy);
        s.scored = true;
        s.accuracyPpm = accuracy;

        bool leads = c.leader == address(0) || accuracy > c.bestAccuracyPpm;
        if (!leads && accuracy == c.bestAccuracyPpm) {
            leads = s.commitOrder < submissions[c.leader].commitOrder;
        }
        if (leads) (c.leader, c.bestAccuracyPpm) = (participant, accuracy);
    }

    function _checkRange(string memory name, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert InvalidBountyParameter(name, value, min, max);
    }

    /// @dev Order first (each deadline after the previous one), then each window's length, then the
    /// furthest deadline. The cap also keeps every deadline within uint40 (until the year 36812).
    function _checkDeadlines(uint64 submission, uint64 revealAt, uint64 evaluation) private view {
        uint64 created = _now();
        if (submission <= created) revert DeadlineTooEarly("submissionDeadline", submission, created);
        if (revealAt <= submission) revert DeadlineTooEarly("revealDeadline", revealAt, submission);
        if (evaluation <= revealAt) revert DeadlineTooEarly("evaluationDeadline", evaluation, revealAt);
        unchecked {
            // each difference is positive: checked just above
            _checkWindow("submission", submission - created);
            _checkWindow("reveal", revealAt - submission);
            _checkWindow("evaluation", evaluation - revealAt);
        }
        uint64 latest = created + MAX_BOUNTY_DURATION; // checked: block.timestamp is far below 2^64
        if (evaluation > latest) revert DeadlineTooLate("evaluationDeadline", evaluation, latest);
    }

    function _checkWindow(string memory window, uint64 length) private pure {
        if (length < MIN_WINDOW_SECONDS) revert WindowTooShort(window, length, MIN_WINDOW_SECONDS);
    }

    function _checkHp(string memory name, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert HyperparameterOutOfRange(name, value, min, max);
    }

    /// @dev protocol.RANGES (Python) holds the same ranges; tests/chain/test_contract_rules.py fails when
    /// the two disagree.
    function _checkHyperparameters(Hyperparameters calldata hp) private pure {
        _checkHp("lstmLayers", hp.lstmLayers, 1, 4);
        _checkHp("lstmUnits", hp.lstmUnits, 4, 512);
        _checkHp("denseLayers", hp.denseLayers, 0, 4);
        _checkHp("activation", hp.activation, 0, 7);
        _checkHp("loss", hp.loss, 0, 4);
        _checkHp("dropoutPermille", hp.dropoutPermille, 0, 800);
        _checkHp("learningRateMicro", hp.learningRateMicro, 1, 100_000);
    }

    /// @dev 96 bits, low to high: lstmLayers 8, lstmUnits 16, denseLayers 8, activation 8, loss 8,
    /// dropoutPermille 16, learningRateMicro 32.
    function _packHyperparameters(Hyperparameters calldata hp) private pure returns (uint96) {
        return
            uint96(hp.lstmLayers) |
            (uint96(hp.lstmUnits) << 8) |
            (uint96(hp.denseLayers) << 24) |
            (uint96(hp.activation) << 32) |
            (uint96(hp.loss) << 40) |
            (uint96(hp.dropoutPermille) << 48) |
            (uint96(hp.learningRateMicro) << 64);
    }

    function _unpackHyperparameters(uint96 packed) private pure returns (Hyperparameters memory hp) {
        hp.lstmLayers = uint8(packed);
        hp.lstmUnits = uint16(packed >> 8);
        hp.denseLayers = uint8(packed >> 24);
        hp.activation = uint8(packed >> 32);
        hp.loss = uint8(packed >> 40);
        hp.dropoutPermille = uint16(packed >> 48);
        hp.learningRateMicro = uint32(packed >> 64);
    }
}
