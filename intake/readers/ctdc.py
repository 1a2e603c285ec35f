"""CTDC global dataset files (the 2021 release's 37 columns), CSV or gzip-compressed CSV.

Each row is a de-identified record: it becomes HTCDS fields with no identity. CTDC's bands
become the band's lowest value (age 9 for ``09--17``, 25 months for ``25--60``), which the
research mart bands again into the same CTDC bands; its 0/1 flags become HTCDS codes. Values
that fit no mapping are passed on as they are, so validation reports them.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from typing import BinaryIO

from intake import messages
from intake.columns import EXTERNAL_ID, REGISTERED_ON

from . import ReaderError, SourceRow, register
from .htcds import SNIFF_BYTES, csv_cells, looks_binary

GZIP_MAGIC = b"\x1f\x8b"

GENDER = {
    "Female": "Feminine",
    "Male": "Masculine",
    "Transgender/NonConforming": "NonConforming",
    "": "NonSpecifiedUnknown",
}
MAJORITY = {"Minor": "1", "Adult": "0", "": ""}
BAND_START = re.compile(r"^0*([0-9]+)(?:--[0-9]+|\+)(?: \(.*\))?$")

# CTDC flag column -> HTCDS code (no code: the flag has no HTCDS counterpart and is dropped).
MEANS = {
    "meansOfControlDebtBondage": "DebtBondage",
    "meansOfControlTakesEarnings": "TakesEarnings",
    "meansOfControlThreats": "PhysicalThreats",
    "meansOfControlPsychologicalAbuse": "PsychologicalAbuse",
    "meansOfControlPhysicalAbuse": "PhysicalAbuse",
    "meansOfControlSexualAbuse": "SexualAbuse",
    "meansOfControlFalsePromises": "FalsePromises",
    "meansOfControlPsychoactiveSubstances": "PsychoactiveSubstance",
    # HTCDS has no "restricts movement"; CTDC's own merged group (meansDenyBasicNeeds) puts it
    # with restricted finances, whose HTCDS code stands for the group here.
    "meansOfControlRestrictsMovement": "RestrictsFinancialAccess",
    "meansOfControlRestrictsMedicalCare": "RestrictsMedicalCare",
    "meansOfControlExcessiveWorkingHours": "ExcessiveWorkingHours",
    "meansOfControlThreatOfLawEnforce": "ThreatsLawEnforcement",
    "meansOfControlWithholdsNecessities": "WithholdsNecessities",
    "meansOfControlWithholdsDocuments": "WithholdsDocuments",
    "meansOfControlOther": "Other",
}
EXPLOITATION = {
    "isForcedLabour": "ForcedLabour",
    "isSexualExploit": "SexualExploitation",
    "isOtherExploit": "Other",
}
LABOUR = {
    "typeOfLabourAgriculture": "A_AgricultureForestryAndFishing",
    "typeOfLabourConstruction": "F_Construction",
    "typeOfLabourDomesticWork": "T_ActivitiesOfHouseholdsAsEmployers",
    "typeOfLabourHospitality": "I_AccommodationAndFoodServiceActivities",
    "typeOfLabourOther": "S_OtherServiceActivities",
}
SEX = {
    "typeOfSexProstitution": "Prostitution",
    "typeOfSexPornography": "Pornography",
    # CTDC's "other" sexual exploitation has no HTCDS code.
    "typeOfSexOther": "",
}
# One relation per record in Harbour: the first flag set, in this order.
RECRUITER = {
    "recruiterRelationIntimatePartner": "IntimatePartner",
    "recruiterRelationFriend": "Friend",
    "recruiterRelationFamily": "Family",
    "recruiterRelationOther": "Other",
}
PLAIN = (
    "yearOfRegistration",
    "gender",
    "ageBroad",
    "majorityStatusAtExploit",
    "traffickMonths",
    "citizenship",
    "CountryOfExploitation",
)
COLUMNS = (*PLAIN, *MEANS, *EXPLOITATION, *LABOUR, *SEX, *RECRUITER)


def _band_start(value: str) -> str:
    match = BAND_START.match(value)
    return match.group(1) if match else value


def _codes(row: dict[str, str], mapping: dict[str, str]) -> str:
    codes = []
    for column, code in mapping.items():
        flag = row.get(column, "")
        if flag in ("", "0"):
            continue
        if flag != "1":
            codes.append(flag)  # not a flag: validation reports it as an unknown code
        elif code:
            codes.append(code)
    return ";".join(codes)


def ctdc_values(row: dict[str, str]) -> dict[str, str]:
    """One CTDC row as HTCDS fields (no identity; consent as the CTDC release implies)."""
    year = row["yearOfRegistration"]
    relation = next((code for column, code in RECRUITER.items() if row.get(column) == "1"), "")
    return {
        REGISTERED_ON: f"{year}-01-01" if year else "",
        "prs_Gender": GENDER.get(row["gender"], row["gender"]),
        "prs_AgeAtRegistration": _band_start(row["ageBroad"]),
        "vic_MinorAtExploitation": MAJORITY.get(
            row["majorityStatusAtExploit"], row["majorityStatusAtExploit"]
        ),
        "vic_ExploitationMonths": _band_start(row["traffickMonths"]),
        "prs_Citizenship": row["citizenship"],
        "vic_LocationOfExploitation": row["CountryOfExploitation"],
        "vic_MethodsOfControl": _codes(row, MEANS),
        "vic_TypeOfExploitation": _codes(row, EXPLOITATION),
        "vic_ForcedLabourIndustry": _codes(row, LABOUR),
        "vic_TypeOfSexExploitation": _codes(row, SEX),
        "vic_RelationshipToTrafficker": relation,
        "con_Consent": "1",
        "con_ResearchConsent": "1",
    }


@register("ctdc")
def read_ctdc(file: BinaryIO, name: str) -> Iterator[SourceRow]:
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    stream: BinaryIO = file
    if head.startswith(GZIP_MAGIC):
        stream = gzip.GzipFile(fileobj=file, mode="rb")  # type: ignore[assignment]
        head = stream.peek(SNIFF_BYTES)[:SNIFF_BYTES] if hasattr(stream, "peek") else b""
    if looks_binary(head):
        raise ReaderError(messages.NOT_CSV_OR_XLSX)
    cells = csv_cells(stream)
    try:
        header = [h.strip() for h in next(cells)]
    except (StopIteration, EOFError, gzip.BadGzipFile):
        raise ReaderError(messages.NO_ROWS) from None
    if any(column not in header for column in COLUMNS):
        raise ReaderError(messages.MISSING_COLUMN)
    if len(set(header)) != len(header):
        raise ReaderError(messages.DUPLICATE_COLUMN)
    if any(h not in COLUMNS for h in header):
        # Nothing but CTDC's own columns: a name or any identity has no place in the file.
        raise ReaderError(messages.UNKNOWN_COLUMN)
    try:
        for number, cells_of_row in enumerate(cells, start=2):
            if not any(cells_of_row):
                continue
            row = dict(zip(header, (c.strip() for c in cells_of_row), strict=False))
            row.update(dict.fromkeys((h for h in header if h not in row), ""))
            values = ctdc_values(row)
            values[EXTERNAL_ID] = str(number)
            yield SourceRow(number=number, values=values, external_id=str(number))
    except (EOFError, gzip.BadGzipFile, OSError):
        raise ReaderError(messages.UNREADABLE) from None
