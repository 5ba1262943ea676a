"""The store: SQLite through sqlite-utils, its schema, the event log and the queries.

Nothing here imports Streamlit or the rules; use cases join the two.
"""
