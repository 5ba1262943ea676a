"""What the imports share: reading spreadsheets safely, mapping their columns, problems.

``reader``   CSV and Excel ``.xlsx`` files a row at a time, with the size limits, and a
             plain message (never a stack trace) for every file that cannot be read;
``mapping``  a spreadsheet's own headers and words mapped to an import's columns and
             values (``--map FILE.yaml``, or the app's mapping step);
``problems`` what is wrong with a file or accepted with a warning, by sheet, line and
             column.
"""
