"""Submit (participant): pick a bounty, fetch its data, try hyperparameters, commit, then reveal.

Widget keys: ``submit_table`` (every bounty) above ``submit_bounty`` (bounty picker);
``submit_fetch`` ("Fetch training data", then table ``submit_cids``); hyperparameters
``hp_lstm_layers``, ``hp_lstm_units``, ``hp_dense_layers``, ``hp_activation``, ``hp_loss``,
``hp_dropout_percent`` (in %), ``hp_learning_rate`` (0.001; the contract's integers are converted in
``actions.submissions``); ``submit_trial`` ("Trial run");
``submit_commit`` ("Commit"; a warning above it when the model is over the bounty's compute
budget); ``submit_reveal`` ("Reveal"); after a mined commit ``submit_commit_export`` (download this
account's salts, prompted); salts: ``submit_export`` (download), ``submit_import_file`` +
``submit_import`` ("Import salts"). A damaged salt file is named in a warning, never hides the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from actions import submissions, tasks
from actions.bounties import OPEN_WINDOWS
from actions.errors import ActionError, plain_error
from actions.jobs import DONE, JobView
from formatting import eth, named, short_address, utc
from protocol import ACTIVATIONS, LOSSES, RANGES, Hyperparameters, dropout_percent_of, learning_rate_of
from ui import charts, clock, jobs, tx
from ui.common import backend, show_error
from ui.page import ButtonState, bounty_and_sender, plain_errors, require_router, tx_button
from ui.search import search_panel

if TYPE_CHECKING:
    from chain.accounts import Sender
    from chain.client import Bounty, SubmissionView

# whole-number fields (the contract's own) -> what a person reads
NUMBERS = {"lstm_layers": "LSTM layers", "lstm_units": "Units per LSTM layer", "dense_layers": "Dense layers"}
LOSS_SHORT = {  # the loss selectbox is narrow: short names there, the full Keras names in its help
    "sparse_categorical_crossentropy": "sparse cross-entropy",
    "categorical_crossentropy": "cross-entropy",
    "categorical_focal_crossentropy": "focal cross-entropy",
    "mean_squared_error": "mean squared error",
    "categorical_hinge": "hinge",
}
LOSS_HELP = "Loss function (Keras name): " + "; ".join(
    f"{short}: `{full}`" for full, short in LOSS_SHORT.items()
)


def _terms(chosen: Bounty) -> None:
    st.caption(
        f"Phase **{chosen.phase.label}** · submissions until {utc(chosen.submission_deadline)} · reveals "
        f"until {utc(chosen.reveal_deadline)} · bond {eth(chosen.commit_bond)} · sequenceLength "
        f"{chosen.sequence_length} · futurePeriod {chosen.future_period}"
    )


def _fetch(chosen: Bounty) -> dict[str, Any]:
    """Fetch the task by CID (every file checked against it): what the panel shows of it."""
    with st.spinner("Fetching the manifest and split files by CID…"):
        manifest, files = tasks.fetch_task(backend(), chosen.id)
    return {
        "manifest": tasks.manifest_cid(chosen),
        "train": manifest.data.train_cid,
        "validation": manifest.data.validation_cid,
        "title": manifest.title,
        "protocol": f"{manifest.evaluation.epochs} epochs, batch {manifest.evaluation.batch_size}, "
        f"seed {manifest.evaluation.seed}",
        "bytes": sum(len(v) for v in files.values()),
    }


def _data_panel(chosen: Bounty) -> None:
    fetched_key = f"fetched:{chosen.id}"
    with st.container(border=True):
        st.subheader(":material/cloud_download: Training data")
        if st.button("Fetch training data", key="submit_fetch", icon=":material/download:"):
            with plain_errors():
                st.session_state[fetched_key] = _fetch(chosen)
        fetched = st.session_state.get(fetched_key)
        if not fetched:
            st.caption(f"Manifest CID (from the chain): `{tasks.manifest_cid(chosen)}`")
            return
        st.success(
            f"**{fetched['title']}**: every file matches its CID ({fetched['bytes']:,} bytes). "
            f"Protocol: {fetched['protocol']}.",
            icon=":material/verified:",
        )
        st.dataframe(
            pd.DataFrame([{"file": k, "CID": fetched[k]} for k in ("manifest", "train", "validation")]),
            hide_index=True,
            key="submit_cids",
        )


def _take_contract_units() -> None:
    """Fields set in the contract's units (``hp_dropout_permille``, ``hp_learning_rate_micro``, as the
    search's "Use best" writes them) move into the form's people-unit fields before they are drawn."""
    for unit_key, (field_name, _) in submissions.PEOPLE_UNITS.items():
        kept = st.session_state.pop(f"hp_{field_name}", None)
        if kept is not None:
            of = dropout_percent_of if field_name == "dropout_permille" else learning_rate_of
            st.session_state[f"hp_{unit_key}"] = of(int(kept))


def _hyperparameters_panel() -> Hyperparameters | None:
    """The form; the hyperparameters it describes, or None (with the reason shown) if invalid."""
    defaults = Hyperparameters()
    with st.container(border=True):
        st.subheader(":material/tune: Hyperparameters")
        _take_contract_units()
        people = submissions.form_values(defaults)
        cols = st.columns(4)
        values: dict[str, int | float | None] = {}
        for n, (name, label) in enumerate(NUMBERS.items()):
            low, high, meaning = RANGES[name]
            values[name] = cols[n % 4].number_input(
                f"{label} ({low}-{high})",
                min_value=low,
                max_value=high,
                value=getattr(defaults, name),
                step=1,
                key=f"hp_{name}",
                help=meaning,
            )
        low, high, _ = RANGES["dropout_permille"]
        values["dropout_percent"] = cols[3].number_input(
            "Dropout (%)",
            min_value=dropout_percent_of(low),
            max_value=dropout_percent_of(high),
            value=people["dropout_percent"],
            step=5.0,
            format="%.1f",
            key="hp_dropout_percent",
            help="Share of units dropped after each LSTM layer while training, 0-80 % (the contract keeps "
            "thousandths: 20 % is 200).",
        )
        low, high, _ = RANGES["learning_rate_micro"]
        values["learning_rate"] = cols[0].number_input(
            "Learning rate",
            min_value=learning_rate_of(low),
            max_value=learning_rate_of(high),
            value=people["learning_rate"],
            step=0.0001,
            format="%.6f",
            key="hp_learning_rate",
            help="Adam's learning rate, 0.000001-0.1 (the contract keeps millionths: 0.001 is 1000).",
        )
        values["activation"] = cols[1].selectbox(
            "activation",
            range(len(ACTIVATIONS)),
            key="hp_activation",
            format_func=lambda i: ACTIVATIONS[i],
            help=RANGES["activation"][2],
        )
        values["loss"] = cols[2].selectbox(
            "loss",
            range(len(LOSSES)),
            key="hp_loss",
            format_func=lambda i: LOSS_SHORT.get(LOSSES[i], LOSSES[i]),
            help=LOSS_HELP,
        )
        hp = None
        with plain_errors():
            hp = submissions.hyperparameters_from_form(values)
        if hp is not None:
            st.caption(f"Submission: {hp.describe()}")
    return hp


def _trial_result(view: JobView) -> None:
    points = view.curves.get("trial", [])
    if points:
        epochs = int(view.detail.get("epochs") or 0) or None
        st.plotly_chart(
            charts.live_curves({"trial": points}, ("loss", "accuracy"), lambda _: "trial", x_max=epochs),
            key=f"trial_live_{view.id}",
        )
    if view.state == DONE and view.result:
        result = view.result
        st.metric("Validation accuracy", f"{result['val_accuracy_ppm'] / 10_000:.2f} %")
        st.plotly_chart(
            charts.training_curves(result["curves"], "Trial: per-epoch curves"),
            key=f"trial_curves_{view.id}",
        )


def _trial_panel(chosen: Bounty, sender: Sender, hp: Hyperparameters | None) -> None:
    with st.container(border=True):
        st.subheader(":material/model_training: Trial run (optional, on this machine)")
        st.caption(
            "Trains once under the bounty's protocol and reports the validation accuracy; the test split "
            "stays hidden until the owner reveals it."
        )
        clicked = st.button(
            "Trial run", key="submit_trial", icon=":material/play_arrow:", disabled=hp is None
        )
        if clicked and hp is not None:
            with plain_errors():
                submissions.start_trial(backend(), chosen.id, sender.address, hp)
        jobs.panel(submissions.trial_key(chosen.id, sender.address), _trial_result)


def _valid(hp: Hyperparameters | None) -> Hyperparameters:
    """The form's hyperparameters (Commit is disabled while they are invalid)."""
    if hp is None:
        raise ActionError("Fix the hyperparameters above first.")
    return hp


def _commit_panel(chosen: Bounty, sender: Sender, hp: Hyperparameters | None) -> None:
    with st.container(border=True):
        st.subheader(":material/lock: Commit and reveal")
        mine: SubmissionView | None = None
        with plain_errors():
            mine = submissions.my_submission(backend(), chosen.id, sender.address)
        if mine is not None and mine["commit_order"]:
            state = "revealed" if mine["revealed"] else "committed, not yet revealed"
            st.caption(
                f"{named(sender.address, backend().label_of)}: {state} (commit #{mine['commit_order']})."
            )
        _budget_warning(chosen, hp)
        commit, reveal = _button_states(chosen, mine, clock.now())
        left, right = st.columns(2)
        tx_button(
            commit.label,
            "submit_commit",
            "commit",
            lambda: submissions.plan_commit(backend(), sender, chosen.id, _valid(hp)),
            where=left,
            type="primary" if commit.primary else "secondary",
            icon=":material/lock:",
            disabled=hp is None or not commit.enabled,
            help=commit.reason,
        )
        tx_button(
            reveal.label,
            "submit_reveal",
            "reveal",
            lambda: submissions.plan_reveal(backend(), sender, chosen.id),
            where=right,
            type="primary" if reveal.primary else "secondary",
            icon=":material/lock_open:",
            disabled=not reveal.enabled,
            help=reveal.reason,
        )
        left.caption(commit.reason)
        right.caption(reveal.reason)
        committed = tx.show_result("commit")
        if committed is not None and committed.ok:
            _keep_salts_prompt(sender)
        tx.show_result("reveal")


def _button_states(chosen: Bounty, mine: SubmissionView | None, now: int) -> tuple[ButtonState, ButtonState]:
    """Commit and Reveal as this account's submission and chain time now allow: the button for the
    next step is primary, a step done or not open yet is secondary or disabled, with the reason."""
    order = int(mine["commit_order"]) if mine else 0
    revealed = bool(mine and mine["revealed"])
    open_bounty = chosen.phase in OPEN_WINDOWS
    submitting = open_bounty and now < chosen.submission_deadline
    revealing = open_bounty and chosen.submission_deadline <= now < chosen.reveal_deadline
    reveal = _reveal_state(chosen, order, revealed, submitting, revealing)
    return _commit_state(chosen, order, submitting), reveal


def _commit_state(chosen: Bounty, order: int, submitting: bool) -> ButtonState:
    closes = utc(chosen.submission_deadline)
    if not submitting:  # left clickable: the dialog then shows the contract's own refusal
        return ButtonState("Commit", True, False, f"Submissions closed at {closes}.")
    if order:
        reason = f"Committed (commit #{order}); a new commit replaces it, keeps your place, no second bond."
        return ButtonState("Replace commit", True, False, reason)
    return ButtonState("Commit", True, True, f"Submissions close at {closes}.")


def _reveal_state(
    chosen: Bounty, order: int, revealed: bool, submitting: bool, revealing: bool
) -> ButtonState:
    if revealed:
        return ButtonState("Revealed", False, False, "Revealed: your bond is credited back.")
    if submitting:
        return ButtonState("Reveal", False, False, f"Reveals open at {utc(chosen.submission_deadline)}.")
    if not revealing:
        return ButtonState("Reveal", False, False, f"Reveals closed at {utc(chosen.reveal_deadline)}.")
    if not order:
        return ButtonState("Reveal", False, False, "Nothing to reveal: this account did not commit.")
    return ButtonState("Reveal", True, True, f"Reveals close at {utc(chosen.reveal_deadline)}.")


def _budget_warning(chosen: Bounty, hp: Hyperparameters | None) -> None:
    """Warn before the Commit button when the form's model is over the manifest's compute budget."""
    if hp is None:
        return
    key = f"manifest:{chosen.id}"  # a bounty's manifest never changes: fetch it once per session
    if key not in st.session_state:
        try:
            st.session_state[key] = submissions.task_manifest(backend(), chosen.id)
        except Exception as exc:
            st.caption(f"The compute budget could not be checked: {plain_error(exc)}")
            return
    warning = submissions.compute_budget_warning(st.session_state[key], hp)
    if warning:
        st.warning(warning, icon=":material/warning:")


def _keep_salts_prompt(sender: Sender) -> None:
    """Right after a mined commit: offer this account's salts as a file to keep."""
    exported = None
    with plain_errors():
        exported = submissions.salt_export(backend(), sender.address)
    if exported is None:
        return
    with st.container(border=True):
        st.warning(
            "**Keep this file: without the salt you cannot reveal and you lose your bond.** It holds "
            f"{exported.count} salt(s) of {short_address(sender.address)}; keep it private.",
            icon=":material/key:",
        )
        _skipped(exported.skipped)
        st.download_button(
            "Download your salts",
            exported.text,
            file_name=f"hyperbounty-salts-{sender.address}.json",
            mime="application/json",
            key="submit_commit_export",
            type="primary",
            icon=":material/file_download:",
        )


def _skipped(sentences: list[str]) -> None:
    for sentence in sentences:
        st.warning(sentence, icon=":material/broken_image:")


def _salts_panel(sender: Sender) -> None:
    with st.expander("Salts: export or import", icon=":material/key:"):
        st.caption(
            "The salt is what lets you reveal. Export it to reveal from another machine; "
            "keep the file private."
        )
        exported = None
        with plain_errors():
            exported = submissions.salt_export(backend(), sender.address)
        if exported is not None:
            _skipped(exported.skipped)
        st.download_button(
            "Export salts",
            exported.text if exported else "{}",
            file_name=f"hyperbounty-salts-{sender.address}.json",
            mime="application/json",
            key="submit_export",
            icon=":material/file_download:",
            disabled=exported is None,
        )
        upload = st.file_uploader("Salt file", type=["json"], key="submit_import_file")
        if st.button("Import salts", key="submit_import", icon=":material/file_upload:"):
            if upload is None:
                show_error("Choose a salt file exported from HyperBounty first.")
                return
            with plain_errors():
                count = submissions.import_salts(backend(), upload.getvalue())
                st.success(
                    f"Imported {count} salt(s). You can now reveal from this machine.",
                    icon=":material/check_circle:",
                )


def main() -> None:
    require_router()
    st.title(":material/upload: Submit")
    st.caption(
        "Participant: train on the published data, commit a hash of your hyperparameters, reveal them "
        "after the submission deadline. The salt that hides them is stored on this machine before you "
        "commit."
    )
    chosen, sender = bounty_and_sender("submit_bounty", table_key="submit_table")
    _terms(chosen)
    _data_panel(chosen)
    hp = _hyperparameters_panel()
    _trial_panel(chosen, sender, hp)
    search_panel(chosen.id, sender.address)
    _commit_panel(chosen, sender, hp)
    _salts_panel(sender)
    tx.render_pending()


main()
