"""The process as data and decisions: working days, roles, policies and rulesets.

Everything here is pure: no Streamlit, no database. Pages and use cases pass dates in.
"""
