"""The chain layer of HyperBounty: connection, accounts, the BountyBoard client, salts, errors.

It knows nothing of Streamlit. The dashboard and the actions layer import from here only::

    import chain

    conn = chain.connect()                 # settings.chain: "embedded" (default) | "anvil" | http(s) URL
    conn.w3, conn.kind, conn.chain_id, conn.accounts(), conn.close()
    conn.genesis_hash                      # block 0's hash: a reset dev chain keeps its id, not its genesis
    conn.funds_new_accounts                # dev chains, and an anvil/hardhat node reached by URL
    conn.head() -> Head(number, timestamp)  # the chain's clock, the one implementation:
    conn.latest_timestamp(), conn.latest_block(), conn.next_block_time()   # board.now() etc. ask here
    conn.lock                              # hold it around any multi-step write (shared by sessions)
    if conn.is_dev:                        # chain.DevChain: embedded or managed anvil
        conn.advance_time(600)             # mines one block exactly 600 s after the latest one
        conn.set_next_timestamp(ts); conn.mine(3); sid = conn.snapshot(); conn.revert(sid)

    # with HYPERBOUNTY_CHAIN=anvil a second install (another data dir) shares the anvil already on the
    # port (chain 31337, the genesis its registry remembers); only the program that started it stops it

    owner, *people = chain.dev_accounts(conn)          # NodeAccount: .address, .label ("Owner", ...)
    chain.fund_from_dev(conn, owner, address, wei)     # dev nodes only (funds_new_accounts); else refused
    keystore = chain.Keystore.open()                   # other networks: encrypted keys in the data dir
    address = keystore.create(password, label="Me")    # or .import_key / .import_keyfile
    signer = keystore.unlock(address, password)        # LocalSigner; wrong password -> AccountError

    board = chain.open_board(conn)                      # remembered per chain id + genesis; never redeployed
    board = chain.open_board(conn, owner, deploy_if_never_deployed=True)  # dev chains' first start
    chain.deployment_preview(conn, signer) -> DeployPreview   # gas, EIP-1559 fees, total, balance
    chain.deploy_board(conn, signer, confirmations=2)   # any chain; explicit (re)deploy, e.g. after a reset
    chain.check_board(conn, address) -> BoardCheck(address, is_board, sentence)   # vs the committed code
    chain.join_board(conn, address) -> Deployment       # checked, remembered, from its creation block

    s, r, e = board.deadlines_from_now(600, 600, 600)   # chain time, never the wall clock; each >= 300 s
    bounty_id, receipt = board.create_bounty(owner, manifest_digest=..., test_data_digest=...,
        reward=wei, min_accuracy_ppm=..., sequence_length=..., future_period=...,
        submission_deadline=s, reveal_deadline=r, evaluation_deadline=e, commit_bond=wei,
        test_data_cid="Qm...")                          # test-data salt stored before sending
    # test_data_digest=None: a forward-test bounty (zero commitment, no salt; bounty.forward_test)
    secret, receipt = board.commit(sender, bounty_id, hp)   # hp: protocol.Hyperparameters; salt stored first
    board.reveal(sender, bounty_id)                     # salt + hp from the secret store
    board.reveal_test_data(owner, bounty_id)            # from the reveal deadline; salt from the store
    board.reveal_test_data(owner, bounty_id, digest)    # forward test: the built file's digest, salt 0
    board.post_scores(owner, bounty_id, {address: accuracy_ppm}, report_digest)
    board.finalize(anyone, bounty_id); board.claim_share(p, bounty_id)
    board.cancel(owner, bounty_id); board.withdraw(sender)
    # each write returns TxReceipt(hash, block, gas_used, effective_gas_price, status, events, fee)

    board.bounty(id) -> Bounty (every field, .phase: Phase, .outcome: Outcome); board.bounties()
    board.phase(id), board.pending_withdrawal(address), board.balance(address)
    board.submission_view(id, participant) -> SubmissionView   # a dict, straight from submissionOf
    board.estimate_gas(fn, args, value, sender); board.preview(fn, args, value, sender) -> TxPreview
    board.commitment(id, participant, hp, salt)        # local; equals the contract's commitmentOf

    # the one reader of bounty state from logs and calldata: incremental, cached in ``path``
    index = chain.BoardIndex(conn, board, path)
    index.submissions(id) -> [Submission]              # commit order; hyperparameters and scores
    index.events(id) -> [Event(name, args, block, tx_hash, log_index, timestamp)]   # explorer timeline
    index.refresh()                                    # read the blocks mined since
    # its pure part: chain.index.fold_submissions(events, calls) -> (rows, participants to view)

    store = chain.SecretStore.open(); store.export_json(account) / store.import_json(text)

    # disputes (ERC-792): the owner names an arbitrator before any commit, a revealer challenges a score
    arbitrator = chain.open_arbitrator(conn, arbiter, deploy_if_never_deployed=True)  # dev: SimpleArbitrator
    board.set_arbitration(owner, bounty_id, arbitrator.address, owner_bond, challenge_bond, period_s)
    board.arbitration(id) -> Arbitration | None; board.challenge_cost(id)   # challenge bond + arbitrator fee
    dispute_id, receipt = board.challenge_score(p, bounty_id, participant, claimed_accuracy_ppm)
    arbitrator.give_ruling(arbiter, dispute_id, 1)     # 1 challenger right, 2 score stands, 0 refused
    board.timeout_dispute(anyone, bounty_id, dispute_id)   # unruled 30 days: counts as ruling 1
    board.dispute(arbitrator.address, dispute_id) -> Dispute

Every failure is a ``chain.ChainError`` (subclasses: NodeUnavailable, WrongChain, ContractNotDeployed,
NotABountyBoard, ContractRevert, InsufficientFunds, NonceClash, AccountError, SecretsError) whose
``str()`` is a sentence to show as it is. Amounts are wei (int) everywhere.
"""

from __future__ import annotations

from chain.accounts import (
    Keystore,
    LocalSigner,
    NodeAccount,
    Sender,
    dev_accounts,
    dev_funders,
    fund_from_dev,
)
from chain.anvil import AnvilChain
from chain.arbitrator import ArbitratorClient, deploy_arbitrator, open_arbitrator
from chain.client import (
    Arbitration,
    Bounty,
    BountyBoardClient,
    Dispute,
    Event,
    Outcome,
    Phase,
    Submission,
    TxPreview,
    TxReceipt,
)
from chain.deployments import (
    BoardCheck,
    Deployment,
    DeploymentRegistry,
    DeployPreview,
    check_board,
    deploy_board,
    deployment_preview,
    find_deployment,
    join_board,
    open_board,
)
from chain.errors import (
    AccountError,
    ChainError,
    ContractNotDeployed,
    ContractRevert,
    InsufficientFunds,
    NodeUnavailable,
    NonceClash,
    NotABountyBoard,
    SecretsError,
    WrongChain,
)
from chain.index import BoardIndex
from chain.providers import ChainConnection, DevChain, Head, RpcConnection
from chain.secrets import SecretStore, SubmissionSecret, TestDataSecret, new_salt
from settings import ANVIL_CHAIN, EMBEDDED_CHAIN, Settings, get_settings


def connect(settings: Settings | None = None, expected_chain_id: int | None = None) -> ChainConnection:
    """Open the chain ``settings.chain`` names; raise a ChainError with a sentence if it cannot.

    The factory lives here, above the chains, so ``chain.providers`` (the base classes) never imports
    ``chain.embedded`` or ``chain.anvil`` (built on them).
    """
    settings = settings or get_settings()
    expected_chain_id = expected_chain_id if expected_chain_id is not None else settings.chain_id
    choice = settings.chain.strip()
    if choice == EMBEDDED_CHAIN:
        from chain.embedded import EmbeddedChain  # lazy: py-evm costs ~0.15 s and other chains never need it

        connection: ChainConnection = EmbeddedChain.open(settings)
    elif choice == ANVIL_CHAIN:
        connection = AnvilChain.start(settings)
    elif choice.startswith(("http://", "https://")):
        connection = RpcConnection(choice)
    else:
        raise ChainError(
            f"HYPERBOUNTY_CHAIN={choice!r} is not a chain this dashboard knows: use 'embedded' "
            "(the default), 'anvil' (a local node it starts for you) or an http(s):// RPC URL."
        )
    if expected_chain_id is not None and connection.chain_id != expected_chain_id:
        found = connection.chain_id
        connection.close()
        raise WrongChain(
            f"The node at {connection.endpoint} is chain {found}, not chain {expected_chain_id}; "
            "point HYPERBOUNTY_CHAIN at the right network (or change HYPERBOUNTY_CHAIN_ID)."
        )
    return connection


__all__ = [
    "AccountError",
    "Arbitration",
    "ArbitratorClient",
    "BoardCheck",
    "BoardIndex",
    "Bounty",
    "BountyBoardClient",
    "ChainConnection",
    "ChainError",
    "ContractNotDeployed",
    "ContractRevert",
    "DeployPreview",
    "Deployment",
    "DeploymentRegistry",
    "DevChain",
    "Dispute",
    "Event",
    "Head",
    "InsufficientFunds",
    "Keystore",
    "LocalSigner",
    "NodeAccount",
    "NodeUnavailable",
    "NonceClash",
    "NotABountyBoard",
    "Outcome",
    "Phase",
    "SecretStore",
    "SecretsError",
    "Sender",
    "Submission",
    "SubmissionSecret",
    "TestDataSecret",
    "TxPreview",
    "TxReceipt",
    "WrongChain",
    "check_board",
    "connect",
    "deploy_arbitrator",
    "deploy_board",
    "deployment_preview",
    "dev_accounts",
    "dev_funders",
    "find_deployment",
    "fund_from_dev",
    "join_board",
    "new_salt",
    "open_arbitrator",
    "open_board",
]
