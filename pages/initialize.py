"""Initialize (owner): reward, minimum accuracy, deadlines, bond, evaluation protocol; create the bounty.

Widget keys: ``init_dataset`` (a built dataset), ``init_epochs``, ``init_batch``, ``init_seed``,
``init_max_train`` (evaluation protocol), ``init_reward`` (ETH, text), ``init_min_acc`` (percent;
starts at the suggested bar, from the baselines on the validation data), ``init_use_suggested``
("Use suggested bar"), ``init_baselines`` (the baselines' validation scores),
``init_submission_min``, ``init_reveal_min``, ``init_evaluation_min`` (window lengths in minutes),
``init_bond`` (ETH, text); button ``init_create`` ("Create bounty") opens the confirmation dialog.
The new bounty's id is shown and becomes ``st.session_state["bounty_id"]``.

The optional "Disputes" expander: ``init_disputes`` (checkbox: let revealers challenge the scores),
``init_arbitrator`` (address; the dev arbitrator, deployed by the wallet's Arbiter account, is
pre-filled on dev chains), ``init_owner_bond`` and ``init_challenge_bond`` (ETH, text),
``init_challenge_min`` (minutes). After the bounty is created, button ``init_set_arbitration``
("Set arbitration") sends the second transaction, ``setArbitration``, through the same dialog.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from actions import bounties, datasets, disputes
from actions.errors import ActionError, plain_error
from actions.evaluation import suggest_min_accuracy
from formatting import duration, eth_to_wei, utc, wei_to_eth
from ui import tx
from ui.common import backend, current_sender, select_bounty
from ui.page import plain_errors, require_router, stop_page, tx_button

if TYPE_CHECKING:
    from actions.tx import TxPlan
    from ml.manifest import EvaluationSpec
    from ml.scoring import BarSuggestion

DEFAULT_MIN_ACCURACY = 50.0  # percent, when no bar can be suggested


@dataclass(frozen=True)
class ProtocolForm:
    """The evaluation protocol as typed in the form."""

    epochs: int
    batch: int
    seed: int
    max_train: int  # 0 = all


@dataclass(frozen=True)
class RulesForm:
    """The reward and rules as typed in the form (amounts still text, windows in minutes)."""

    reward_text: str
    bond_text: str
    min_accuracy: float  # percent
    submission_min: int
    reveal_min: int
    evaluation_min: int


def _label(built: datasets.BuiltDataset) -> str:
    manifest = built.manifest
    return f"{manifest.title} · {', '.join(manifest.coins)} {manifest.interval} · {built.dataset_id}"


def _dataset_picker(kept: list[datasets.BuiltDataset]) -> datasets.BuiltDataset:
    """Choose a built dataset (the one Preprocess just built first), and say what its test data is."""
    ids = [d.dataset_id for d in kept]
    by_id = {d.dataset_id: d for d in kept}
    if st.session_state.get("init_dataset") not in ids:
        wanted = st.session_state.get("dataset_id")
        st.session_state["init_dataset"] = wanted if wanted in ids else ids[0]
    dataset_id = st.selectbox("Dataset", ids, key="init_dataset", format_func=lambda i: _label(by_id[i]))
    built = by_id[dataset_id]
    manifest = built.manifest
    notice = f"**Test data**: {bounties.test_data_kind(manifest)}."
    if manifest.data.source == "bundled":
        if not manifest.test.rehearsal:
            notice += (
                " The bundled 2018 candles are public (anyone can download them), so it is no secret either."
            )
        notice += (
            " For a real forward test, on candles that do not exist yet while submissions are open, "
            "build the dataset from the live coinpaprika source on the Preprocess page."
        )
    st.info(notice, icon=":material/public:" if manifest.data.source == "bundled" else ":material/info:")
    return built


@st.cache_data(show_spinner="Scoring the baselines on the validation data…", max_entries=32)
def _suggestion(
    dataset_id: str, manifest_cid: str, _built: datasets.BuiltDataset
) -> tuple[BarSuggestion | None, str | None]:
    """(the suggested bar or None, the reason there is none): once per dataset."""
    try:
        return suggest_min_accuracy(_built), None
    except Exception as exc:
        return None, plain_error(exc)


def _start_at_suggestion(suggested: float | None) -> None:
    """The input starts at the suggestion, and follows it to another dataset until the owner types a value."""
    automatic = suggested if suggested is not None else DEFAULT_MIN_ACCURACY
    if "init_min_acc" not in st.session_state or (
        st.session_state["init_min_acc"] == st.session_state.get("init_min_acc_auto")
        and st.session_state["init_min_acc"] != automatic
    ):
        st.session_state["init_min_acc"] = automatic
    st.session_state["init_min_acc_auto"] = automatic


def _use_suggested(value: float) -> None:
    st.session_state["init_min_acc"] = value


def _protocol_panel(protocol: EvaluationSpec) -> ProtocolForm:
    with st.container(border=True):
        st.subheader(":material/science: Evaluation protocol")
        st.caption("Every revealed submission is trained this way, once per seed and era, then scored.")
        left, mid, right, far = st.columns(4)
        epochs = left.number_input("Epochs", 1, 1000, value=protocol.epochs, key="init_epochs")
        batch = mid.number_input("Batch size", 1, 65536, value=protocol.batch_size, key="init_batch")
        seed = right.number_input("Seed", 0, 2**31 - 1, value=protocol.seed, key="init_seed")
        cap = far.number_input(
            "Max training sequences (0 = all)",
            0,
            10_000_000,
            value=protocol.max_train_sequences or 0,
            key="init_max_train",
            help="Caps the balanced training set; smaller evaluates faster.",
        )
    return ProtocolForm(int(epochs), int(batch), int(seed), int(cap))


def _suggestion_box(suggestion: BarSuggestion | None, problem: str | None, seed: int, min_acc: float) -> None:
    """The suggested bar, the baselines it comes from and a button to use it (or why there is none)."""
    with st.container(border=True):
        if suggestion is None:
            st.warning(
                f"No suggested minimum accuracy for this dataset: {problem}",
                icon=":material/warning:",
            )
            return
        suggested = suggestion.min_accuracy_ppm / 10_000
        st.markdown(f"**Suggested minimum accuracy: {suggested:.2f} %**")
        st.write(suggestion.explanation())
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "baseline": label,
                        "validation accuracy %": round(score / 10_000, 2),
                        "± SE (points)": round(stderr / 10_000, 2),
                    }
                    for label, score, stderr in suggestion.baselines
                ]
            ),
            hide_index=True,
            key="init_baselines",
            column_config={
                "validation accuracy %": st.column_config.NumberColumn(format="%.2f"),
                "± SE (points)": st.column_config.NumberColumn(format="%.2f"),
            },
        )
        st.caption(
            "Scored on the published validation file, in the walk-forward eras of this dataset's "
            f"protocol (seed {seed}); the test data is not used."
        )
        st.button(
            "Use suggested bar",
            key="init_use_suggested",
            icon=":material/straighten:",
            on_click=_use_suggested,
            args=(suggested,),
            disabled=min_acc == suggested,
        )


def _deadlines_table(submission_min: int, reveal_min: int, evaluation_min: int) -> None:
    """When each window would close if the bounty were created now (chain time)."""
    with plain_errors(stop=True):
        now = backend().now()
    sub_at = now + submission_min * 60
    rev_at = sub_at + reveal_min * 60
    eva_at = rev_at + evaluation_min * 60
    st.table(
        pd.DataFrame(
            [
                {"deadline": "Submission", "in": duration(sub_at - now), "UTC (chain time)": utc(sub_at)},
                {"deadline": "Reveal", "in": duration(rev_at - now), "UTC (chain time)": utc(rev_at)},
                {"deadline": "Evaluation", "in": duration(eva_at - now), "UTC (chain time)": utc(eva_at)},
            ]
        ).set_index("deadline")
    )
    st.caption(
        f"Chain time now: {utc(now)}. Deadlines are fixed from chain time when the transaction is sent."
    )


def _rules_panel(suggestion: BarSuggestion | None, problem: str | None, seed: int) -> RulesForm:
    with st.container(border=True):
        st.subheader(":material/payments: Reward and rules")
        left, mid, right = st.columns(3)
        reward_text = left.text_input("Reward (ETH)", value="1", key="init_reward")
        min_acc = mid.number_input(
            "Minimum test accuracy (%)",
            0.0001,
            100.0,
            step=0.5,
            format="%.4f",
            key="init_min_acc",
            help="The best score must reach this, or the owner is refunded. Starts at the suggested bar.",
        )
        bond_text = right.text_input(
            "Commit bond (ETH)",
            value="0.01",
            key="init_bond",
            help="Each participant deposits this with its first commit; credited back at "
            "reveal, kept by the owner if it never reveals. May be 0.",
        )
        _suggestion_box(suggestion, problem, seed, min_acc)
        left, mid, right = st.columns(3)
        sub_min = left.number_input(
            "Submission window (minutes)", 5, 525_600, value=60, key="init_submission_min"
        )
        rev_min = mid.number_input("Reveal window (minutes)", 5, 525_600, value=30, key="init_reveal_min")
        eva_min = right.number_input(
            "Evaluation window (minutes)", 5, 525_600, value=60, key="init_evaluation_min"
        )
        _deadlines_table(int(sub_min), int(rev_min), int(eva_min))
    return RulesForm(reward_text, bond_text, float(min_acc), int(sub_min), int(rev_min), int(eva_min))


@dataclass(frozen=True)
class DisputesForm:
    """The arbitration as typed in the "Disputes" expander (amounts still text, period in minutes)."""

    arbitrator: str
    owner_bond_text: str
    challenge_bond_text: str
    challenge_min: int

    def terms(self) -> tuple[disputes.ArbitrationTerms | None, list[str]]:
        """The terms in wei and seconds, or None and what is wrong with the typed amounts."""
        problems: list[str] = []
        amounts: list[int] = []
        for name, text, example in (
            ("owner's bond", self.owner_bond_text, "0.1"),
            ("challenge bond", self.challenge_bond_text, "0.05"),
        ):
            try:
                amounts.append(eth_to_wei(text.strip()))
            except Exception:
                problems.append(
                    f"The {name} {text!r} is not an amount of ETH; type a number such as {example}."
                )
        if problems:
            return None, problems
        terms = disputes.ArbitrationTerms(
            self.arbitrator.strip(), amounts[0], amounts[1], self.challenge_min * 60
        )
        try:
            terms.check()
        except ActionError as exc:
            return None, [str(exc)]
        return terms, []


def _default_arbitrator() -> str:
    """The dev arbitrator's address on dev chains (deployed by the Arbiter on first need), else ""."""
    if not backend().chain.is_dev:
        return ""
    with plain_errors():
        return disputes.dev_arbitrator(backend()).address
    return ""


def _disputes_panel() -> DisputesForm | None:
    """The optional arbitration: None unless the owner lets revealers challenge the scores."""
    with st.expander("Disputes (optional)", icon=":material/gavel:"):
        enabled = st.checkbox(
            "Let revealers challenge the posted scores",
            key="init_disputes",
            help="Names an ERC-792 arbitrator after the bounty is created: a participant who revealed may "
            "challenge a posted score within the challenge period; if the arbitrator agrees, the scores are "
            "void, the reward is split among the revealers and the challenger gets your bond.",
        )
        if not enabled:
            st.caption("Without an arbitrator the posted scores are final (anyone can still re-run them).")
            return None
        if "init_arbitrator" not in st.session_state:
            st.session_state["init_arbitrator"] = _default_arbitrator()
        arbitrator = st.text_input(
            "Arbitrator",
            key="init_arbitrator",
            help="The address of an ERC-792 arbitrator contract. On a dev chain the built-in one is "
            "pre-filled: the wallet's Arbiter account rules.",
        )
        left, mid, right = st.columns(3)
        owner_bond = left.text_input(
            "Your bond (ETH)",
            value=str(wei_to_eth(disputes.DEFAULT_OWNER_BOND)),
            key="init_owner_bond",
            help="Deposited with setArbitration; paid to the first challenger who wins, else credited back "
            "to you at finalize.",
        )
        challenge_bond = mid.text_input(
            "Challenge bond (ETH)",
            value=str(wei_to_eth(disputes.DEFAULT_CHALLENGE_BOND)),
            key="init_challenge_bond",
            help="What a challenger deposits (plus the arbitrator's fee): back if it wins, yours if it "
            "loses.",
        )
        period = right.number_input(
            "Challenge period (minutes)",
            5,
            30 * 24 * 60,
            value=disputes.DEFAULT_CHALLENGE_PERIOD_S // 60,
            key="init_challenge_min",
            help="How long after your latest posted scores a challenge is accepted; finalize waits for it.",
        )
    return DisputesForm(arbitrator, owner_bond, challenge_bond, int(period))


def _set_arbitration_panel(bounty_id: int, form: DisputesForm | None) -> None:
    """The second transaction after create: setArbitration on the new bounty (before any commit)."""
    if form is None:
        return
    terms, problems = form.terms()
    with plain_errors():
        if backend().client.arbitration(bounty_id) is not None:
            tx.show_result("set_arbitration")
            return
    st.info(
        f"Disputes: set the arbitration of bounty #{bounty_id} now, before anyone commits.",
        icon=":material/gavel:",
    )

    def plan() -> TxPlan:
        sender = current_sender()
        if sender is None or terms is None:
            raise ActionError("Choose an account in the wallet first.")
        return disputes.plan_set_arbitration(backend(), sender, bounty_id, terms)

    tx_button(
        "Set arbitration",
        "init_set_arbitration",
        "set_arbitration",
        plan,
        problems=problems,
        type="primary",
        icon=":material/gavel:",
        help="Sends setArbitration with your bond as its value; the confirmation shows the terms.",
    )
    tx.show_result("set_arbitration")


def _amounts(rules: RulesForm) -> tuple[int, int, list[str]]:
    """(reward, bond) in wei, and what is wrong with the typed amounts."""
    problems: list[str] = []
    reward = bond = 0
    try:
        reward = eth_to_wei(rules.reward_text.strip())
    except Exception:
        problems.append(
            f"The reward {rules.reward_text!r} is not an amount of ETH; type a number such as 1 or 0.5."
        )
    try:
        bond = eth_to_wei(rules.bond_text.strip() or "0")
    except Exception:
        problems.append(
            f"The commit bond {rules.bond_text!r} is not an amount of ETH; type a number such as 0.01 or 0."
        )
    return reward, bond, problems


def _create_panel(
    built: datasets.BuiltDataset, protocol: ProtocolForm, rules: RulesForm, arbitration: DisputesForm | None
) -> None:
    reward, bond, problems = _amounts(rules)
    if arbitration is not None:
        problems += arbitration.terms()[1]

    def plan() -> TxPlan:
        sender = current_sender()
        if sender is None:
            raise ActionError("Choose an account in the wallet first.")
        final = datasets.with_protocol(
            built, protocol.epochs, protocol.batch, protocol.seed, protocol.max_train or None
        )
        terms = bounties.BountyTerms(
            reward=reward,
            min_accuracy_ppm=bounties.accuracy_to_ppm(rules.min_accuracy),
            submission_s=rules.submission_min * 60,
            reveal_s=rules.reveal_min * 60,
            evaluation_s=rules.evaluation_min * 60,
            commit_bond=bond,
        )
        return bounties.plan_create_bounty(backend(), sender, built, final, terms)

    tx_button(
        "Create bounty",
        "init_create",
        "create_bounty",
        plan,
        problems=problems,
        for_bounty=False,
        type="primary",
        icon=":material/rocket_launch:",
    )
    outcome = tx.show_result("create_bounty", for_bounty=False)
    if outcome is not None and outcome.ok and "bounty_id" in outcome.extra:
        new_id = int(outcome.extra["bounty_id"])
        select_bounty(new_id)
        st.info(
            f"Bounty #{new_id} is open for submissions. Participants find it on the Submit page.",
            icon=":material/campaign:",
        )
        _set_arbitration_panel(new_id, arbitration)


def main() -> None:
    require_router()
    st.title(":material/add_circle: Initialize")
    st.caption(
        "Owner: set the reward and the rules, then post the bounty. A forward test commits to no file "
        "(its test data is built by the manifest's rule after the reveal deadline); a private test split "
        "is committed for you and its secret kept on this machine until you reveal it on the Evaluate page."
    )
    kept = datasets.saved(backend().settings)
    if not kept:
        st.info("Build a dataset on the Preprocess page first.", icon=":material/info:")
        stop_page()
    built = _dataset_picker(kept)
    suggestion, problem = _suggestion(built.dataset_id, built.manifest.cid(), built)
    _start_at_suggestion(suggestion.min_accuracy_ppm / 10_000 if suggestion is not None else None)
    protocol = _protocol_panel(built.manifest.evaluation)
    rules = _rules_panel(suggestion, problem, built.manifest.evaluation.seed)
    arbitration = _disputes_panel()
    _create_panel(built, protocol, rules, arbitration)
    tx.render_pending()


main()
