"""One function per thing a user or operator does, each in one transaction.

Pages and ``manage.py`` call these; these call ``rules`` (decisions) and ``db`` (storage).
Nothing here imports Streamlit or reads the wall clock: dates come in as ``as_of``.
"""
