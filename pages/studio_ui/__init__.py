"""The studio's Streamlit render modules (``app.py`` is their table of contents).

This folder sits inside ``pages/`` because the project's top level is fixed; Streamlit's page
discovery only lists ``pages/*.py`` files, so a package folder here is never shown as a page.
Every module renders one part of the studio and calls into ``pfn_core`` for the logic.
"""
