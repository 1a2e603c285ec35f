"""Reason codes of an import report and their messages.

A report stores codes (row, column, code), never a cell's value, and the page translates
them when it shows them.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from screening.conditions import CONDITIONS

# Cell errors.
REQUIRED = "required"
NOT_A_DATE = "not_a_date"
DATE_IN_FUTURE = "date_in_future"
DATE_ORDER = "date_order"
NOT_A_NUMBER = "not_a_number"
OUT_OF_RANGE = "out_of_range"
UNKNOWN_CODE = "unknown_code"
NOT_YES_NO = "not_yes_no"
TOO_LONG = "too_long"
FORMULA = "formula"
DUPLICATE_IN_FILE = "duplicate_in_file"
NOT_ALLOWED_HISTORICAL = "not_allowed_historical"
NOT_A_VICTIM_ELIGIBLE = "not_a_victim_eligible"
TOO_MANY_ROWS = "too_many_rows"
CONSENT_REQUIRED = "consent_required"
# An answer given where it does not apply (screening.conditions): one code per question.
NOT_APPLICABLE = {c.field: f"not_applicable_{c.field}" for c in CONDITIONS}
# Whole-file errors.
UNKNOWN_COLUMN = "unknown_column"
MISSING_COLUMN = "missing_column"
DUPLICATE_COLUMN = "duplicate_column"
FILE_TOO_LARGE = "file_too_large"
NOT_CSV_OR_XLSX = "not_csv_or_xlsx"
WRONG_ENCODING = "wrong_encoding"
NO_ROWS = "no_rows"
UNREADABLE = "unreadable"
HAS_ERRORS = "has_errors"
INTERNAL = "internal"
UPLOAD_MISSING = "upload_missing"

MESSAGES = {
    REQUIRED: _("a value is required"),
    NOT_A_DATE: _("not a date (write YYYY-MM-DD)"),
    DATE_IN_FUTURE: _("the date is in the future"),
    DATE_ORDER: _("the dates are not in order (birth, then registration; start before end)"),
    NOT_A_NUMBER: _("not a whole number"),
    OUT_OF_RANGE: _("the number is out of range"),
    UNKNOWN_CODE: _("not one of the allowed codes (see the template's second sheet)"),
    NOT_YES_NO: _("write 1 or 0 (yes or no)"),
    TOO_LONG: _("the text is too long"),
    FORMULA: _("the cell starts like a spreadsheet formula (=, +, -, @): refused"),
    DUPLICATE_IN_FILE: _("the same external id is on an earlier row of the file"),
    NOT_ALLOWED_HISTORICAL: _("historical records carry no identity: leave this column out"),
    NOT_A_VICTIM_ELIGIBLE: _("a person determined not to be a victim cannot be eligible"),
    TOO_MANY_ROWS: _(
        "more rows than Harbour keeps (route steps: 5 in a file, 30 in a field submission; "
        "perpetrators: 30)"
    ),
    CONSENT_REQUIRED: _(
        "answered although the person did not consent to the interview (con_Consent): "
        "only the interview and consent answers can be kept"
    ),
    UNKNOWN_COLUMN: _("the file has a column Harbour does not know"),
    MISSING_COLUMN: _("the file lacks a required column"),
    DUPLICATE_COLUMN: _("the file has the same column twice"),
    FILE_TOO_LARGE: _("the file is larger than the import limit"),
    NOT_CSV_OR_XLSX: _("the file is neither CSV nor XLSX"),
    WRONG_ENCODING: _("the file is not UTF-8 text: save it as CSV UTF-8 or as XLSX"),
    NO_ROWS: _("the file has a header but no rows"),
    UNREADABLE: _("the file could not be read"),
    HAS_ERRORS: _(
        "the file has errors: nothing was imported. Fix them, or choose to import the valid rows"
    ),
    INTERNAL: _("the import stopped on an unexpected error; nothing was imported"),
    UPLOAD_MISSING: _(
        "the uploaded file is no longer stored (it expired or was removed): nothing was "
        "imported. Upload it again"
    ),
}


# The screening service's own words for it.
MESSAGES.update({NOT_APPLICABLE[c.field]: _(c.message) for c in CONDITIONS})


def message(code: str):
    return MESSAGES.get(code, MESSAGES[UNREADABLE])
