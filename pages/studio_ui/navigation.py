"""The sidebar's page list names the main page "Studio" (Streamlit names it after app.py)."""

from __future__ import annotations

import streamlit as st

MAIN_PAGE_NAME = "Studio"


def name_main_page() -> None:
    """Relabel the first entry of the sidebar navigation; call once on every page. Streamlit's
    page discovery (``pages/``) takes the main page's name from its file name and offers no
    setting for it, so the label is swapped in CSS and the link itself is untouched."""
    nav = "[data-testid='stSidebarNav'] span[label='app'] p"
    st.html(f"<style>{nav}{{font-size:0}}"
            f"{nav}::after{{content:'{MAIN_PAGE_NAME}';font-size:0.875rem}}</style>")
