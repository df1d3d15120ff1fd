"""The labelling bar: what is selected, the label to give it, and the anchor buttons."""

from __future__ import annotations

import streamlit as st

from pages.studio_ui import anchor_actions as act
from pfn_core.studio import anchors as anchor_ops
from pfn_core.studio.plain_text import markdown_literal as plain


def render(anchors: dict[int, str], labels) -> None:
    """The bar above the maps. ``labels`` (N,) are the model's clusters, offered as existing
    label names when there are no anchors yet."""
    ss = st.session_state
    with st.container(border=True):
        selection = ss["selection"]
        label_names = list(dict.fromkeys(sorted(set(anchors.values())) or sorted(set(labels))))
        # A new selection offers first the label most of it is already in (a lasso that
        # extends a label); the studio fits that naming in the background too.
        if selection != ss.get("_offered_for"):
            ss["_offered_for"] = list(selection)
            ss["likely_label"] = anchor_ops.likely_label(anchors, labels, selection)
            if ss["likely_label"] is not None:
                ss["existing_label"] = ss["likely_label"]
        top = st.columns([2.2, 5.2, 1.2, 1, 1], vertical_alignment="bottom")
        top[0].markdown(
            f"**{len(selection)} points selected**" if selection
            else "**Lasso, box or click points** on the model map to select them"
        )
        # One form: the label typed travels with the click on Assign (or Enter) in one
        # message. As separate widgets, leaving the text box sent it first and started a
        # rerun that the click then had to stop, 0.1-0.3 s of every round trip.
        with top[1].form("label_form", border=False, enter_to_submit=True):
            name = st.columns([2, 2, 1.2], vertical_alignment="bottom")
            name[0].selectbox("Existing label", label_names, key="existing_label")
            name[1].text_input("…or a new label", key="new_label", placeholder="e.g. churners")
            name[2].form_submit_button("Assign", type="primary", on_click=act.on_assign,
                                       disabled=not selection, width="stretch", key="assign")
        top[2].button("Unlabel", on_click=act.on_remove, width="stretch",
                      disabled=not any(r in anchors for r in selection),
                      help="Remove the selected points from the anchors")
        top[3].button("Undo", on_click=act.on_undo, disabled=not ss["can_undo"],
                      width="stretch")
        top[4].button("Clear", on_click=act.on_clear, disabled=not anchors, width="stretch",
                      help="Remove all anchors")
        line = st.columns([2.2, 4, 2], vertical_alignment="center")
        line[0].button(
            "Suggest rows to label", on_click=act.on_select_suggestions, key="suggest_rows",
            icon=":material/lightbulb:", disabled=not ss.get("suggestions"), width="stretch",
            help="Selects the rows whose labels would help the model most: ones it is unsure "
                 "about, typical of many rows and spread over the map (ringed on the map). "
                 "Then name them with Assign.")
        if ss["example_rows"]:
            count = len(ss["example_rows"])
            line[1].caption(f"★ {count} example {'anchor was' if count == 1 else 'anchors were'} "
                            "placed from the ground truth to show the idea.")
            line[2].button("Remove example anchors", on_click=act.on_remove_examples,
                           width="stretch")
        message = ss.get("message")
        if message:
            (st.success if message[0] == "success" else st.error)(plain(message[1]))
