"""Streamlit helpers shared by the pages: which store, which date, how to show errors.

Only ``app.py`` and ``pages/`` import this package.
"""
