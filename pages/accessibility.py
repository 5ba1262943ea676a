"""Accessibility statement: how accessible the service is, what is known not to be, and
how to ask for help or complain. Public bodies must publish one (WCAG 2.2 AA)."""

from __future__ import annotations

import os

import streamlit as st

CONTACT_ENV = "IRO_ACCESSIBILITY_CONTACT"

contact = os.environ.get(CONTACT_ENV, "").strip()

st.title("Accessibility statement")
st.write(
    "This service is for the staff of a council's children's services: Independent "
    "Reviewing Officers, Child Protection chairs, social workers and their managers. We "
    "want as many people as possible to be able to use it. You should be able to:")
st.markdown(
    "- zoom in up to 400% without the text spilling off the screen\n"
    "- move through every screen and form with a keyboard alone\n"
    "- use it with a screen reader: every field has its own label, every page its own "
    "title, and forms list their problems at the top with a link to each field\n"
    "- read every piece of text against its background (contrast of at least 4.5 to 1)\n"
    "- read every chart as a table of numbers beside it")

st.header("How accessible this service is")
st.write(
    "The service aims to meet the Web Content Accessibility Guidelines (WCAG) version 2.2 "
    "at level AA. Every screen is checked, for every kind of user, with the axe-core "
    "accessibility engine in a real browser each time the software is changed, and must "
    "show no serious or critical problems before a change is accepted.")
st.write("We know these parts are not fully accessible yet:")
st.markdown(
    "- Charts on the Dashboard are pictures for people who can see them; the same numbers "
    "are always in a table beside each chart, and can be downloaded.\n"
    "- Some tables are wide: on a small screen they scroll sideways.\n"
    "- Date fields are typed as day, month and year; a date picker is offered too, but it "
    "is harder to use with a screen reader than typing the date.")

st.header("Feedback and contact information")
if contact:
    st.write(f"If you find a problem or need information in a different format, contact: "
             f"{contact}.")
else:
    st.write("If you find a problem or need information in a different format, contact your "
             "council's IT service desk and say that it is about the IRO alerts service.")

st.header("Enforcement procedure")
st.write(
    "The Equality and Human Rights Commission (EHRC) is responsible for enforcing the "
    "Public Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility "
    "Regulations 2018. If you are not happy with how your council responds to your "
    "complaint, contact the Equality Advisory and Support Service (EASS).")

st.header("Technical information")
st.write(
    "The service is open-source software. Its automated accessibility checks run in the "
    "project's browser tests (tests/test_browser_*.py), which sign in as each role and "
    "open each screen in Chromium.")
