"""What the model found on its own: its number of clusters with the evidence (a table without
anchors; K can be set by hand instead), and the clusters nobody labelled, each named in one
action (``pfn_core.studio.discovered``)."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from pages.studio_ui import anchor_actions as act
from pages.studio_ui.data_source import Table
from pfn_core import limits
from pfn_core.discovery import WEAK_EVIDENCE
from pfn_core.studio import discovered
from pfn_core.studio.plain_text import hover_literal

MAX_CLUSTERS = 50
WEAK_K_NOTE = (f"\n\n**Weak evidence:** no bar reaches {WEAK_EVIDENCE}, and most tables "
               "with no clusters at all score below that. The table may have no clear groups; "
               "read this K as a starting point, not a finding.")
CHOSEN_COLOUR, OTHER_COLOUR = "#0072B2", "#B8C2CC"


@dataclass
class KSlots:
    """Where ``show_k`` writes once the fit is done: the sentence and the evidence chart."""

    message: object
    chart: object


def choose_k(table: Table, anchors: dict[int, str]) -> tuple[int | None, KSlots | None]:
    """Without anchors: (None, slots) while the model finds K itself (the default), or
    (K, slots) once the analyst sets K by hand; remembered per table while anchors hide the
    choice. With anchors, the anchors set K: (None, None) and nothing is drawn."""
    ss = st.session_state
    remembered = ss.setdefault("n_clusters_by_table", {})
    if anchors:
        return None, None
    text, chart = st.columns([2, 3], vertical_alignment="top")
    with text:
        message = st.empty()
        by_hand = st.toggle(
            "Set the number of clusters by hand", key=f"k_by_hand_{table.name}",
            value=remembered.get(table.name) is not None,
            help="Off (the default): the model finds K itself from how it confuses small "
                 "groups of rows. On: you choose K. Naming points (anchors) sets K instead.")
        if not by_hand:
            remembered[table.name] = None
            return None, KSlots(message, chart)
        estimated = ss.setdefault("estimated_k", {}).get(table.name, (None, None))[0]
        truth_k = len(set(map(str, table.truth))) if table.truth is not None else None
        default = remembered.get(table.name) or estimated or truth_k or 3
        value = int(st.number_input("How many clusters?", 2, MAX_CLUSTERS,
                                    min(max(default, 2), MAX_CLUSTERS),
                                    key=f"n_clusters_{table.name}"))
    remembered[table.name] = value
    return value, KSlots(message, chart)


def show_k(slots: KSlots | None, table: Table, result: dict, by_hand: int | None) -> None:
    """Fill ``slots``: the K the model used and, when it estimated K (or did so earlier for
    this table), a bar per candidate K with its evidence, the model's own K dark.
    ``result``: the cached fit ("n_clusters", "n_clusters_scores", "n_clusters_agreement")."""
    if slots is None:
        return
    ss = st.session_state
    estimates = ss.setdefault("estimated_k", {})
    if result["n_clusters_scores"]:
        estimates[table.name] = (result["n_clusters"], result["n_clusters_scores"],
                                 result.get("n_clusters_agreement"))
    estimated, scores, agreement = estimates.get(table.name, (None, None, None))
    if by_hand is None:
        weak = WEAK_K_NOTE if result.get("k_evidence_weak") else ""
        slots.message.markdown(
            f"**The model finds {result['n_clusters']} clusters** in this table, with no "
            "anchors yet. The chart shows its evidence for each candidate K (the highest bar "
            "wins, unless the model agrees with itself far better at another K, or the table "
            "falls into more separate pieces). Name a few points to steer it, or set K by "
            f"hand.{weak}")
    else:
        found = f" The model itself finds {estimated} (the dark bar)." if estimated else ""
        slots.message.markdown(f"**{by_hand} clusters, set by hand.**{found} Turn the switch "
                               "off to let the model choose.")
    if not scores:
        return
    table_of_k = discovered.evidence_table(scores, estimated)
    slots.chart.vega_lite_chart(table_of_k, {
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "x": {"field": "K", "type": "ordinal", "title": "candidate number of clusters K",
                  "axis": {"labelAngle": 0}},
            "y": {"field": "evidence", "type": "quantitative",
                  "title": "evidence for K"},
            "color": {"condition": {"test": "datum.chosen", "value": CHOSEN_COLOUR},
                      "value": OTHER_COLOUR},
        },
    }, height=170, width="stretch")
    slots.chart.caption(("Evidence for K: how sharply the model's confusion between small "
                        "groups of rows falls when they are merged into fewer than K clusters. "
                        + discovered.why_not_the_highest_bar(scores, estimated,
                                                             agreement)).strip())


def name_key(cluster: str) -> str:
    """The session-state key of the name typed for ``cluster`` (e.g. "new 1")."""
    return "name_for_" + cluster.replace(" ", "_")


def new_clusters(anchors: dict[int, str], labels, confidence, colours: dict[str, str]) -> None:
    """The clusters nobody labelled ("new 1", ...), each with its size and colour, a name
    field and a Name it button (its surest rows become anchors with that name).
    labels, confidence (N,): the model's labels and confidence."""
    found = discovered.new_clusters(labels, anchors.values())
    if not found:
        return
    rows = discovered.ROWS_PER_NAMED_CLUSTER
    with st.container(border=True, key="new_clusters"):
        st.markdown(f"**The model found {len(found)} "
                    f"{'cluster' if len(found) == 1 else 'clusters'} nobody labelled.** "
                    f"They are candidates: name one to make its {rows} surest rows anchors "
                    "with that name, or leave it be.")
        for cluster, size in found:
            swatch, field, button = st.columns([2, 3, 1], vertical_alignment="center")
            swatch.html(f'<span style="color:{colours.get(cluster, OTHER_COLOUR)}">●</span> '
                        f"<b>{hover_literal(cluster)}</b> · {size:,} rows")
            field.text_input(
                f"Name for {cluster}", key=name_key(cluster), label_visibility="collapsed",
                max_chars=limits.MAX_LABEL_LENGTH, placeholder=f"a name for {cluster}",
                help=f"Its {rows} surest rows become anchors with this name. A name already "
                     "in use merges the cluster into that label. Undo takes it back.")
            button.button("Name it", key=name_key(cluster).replace("name_for", "name_it"),
                          on_click=act.on_name_new_cluster, width="stretch",
                          args=(cluster, name_key(cluster), labels, confidence))
