"""Readers of KoBoToolbox / ODK Central submission exports (issue 13 §3).

The fixtures are exports written by hand in the servers' formats, with invented people.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from intake.readers import ReaderError, odk, reader_for

FIXTURES = Path(__file__).parent / "fixtures"
FIRST = "0b6f3f8e-1111-4c1e-9a55-000000000001"
SECOND = "0b6f3f8e-2222-4c1e-9a55-000000000002"
ODK_FIRST = "0c000000-0000-4000-8000-000000000001"
ODK_SECOND = "0c000000-0000-4000-8000-000000000002"


def read(name: str, data: bytes, file_name: str = "export") -> list:
    return list(reader_for(name)(io.BytesIO(data), file_name))


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def kobo_xlsx(main: list[list], repeats: dict[str, list[list]] | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Harbour Screening"
    for row in main:
        sheet.append(row)
    for title, rows in (repeats or {}).items():
        repeat = workbook.create_sheet(title)
        for row in rows:
            repeat.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def odk_zip(members: dict[str, bytes]) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return output.getvalue()


MAIN_HEADER = [
    "registration/prs_FirstName",
    "person/prs_Gender",
    "_id",
    "_uuid",
    "_index",
]
EVENTS_HEADER = [
    "route/events/hte_Type",
    "route/events/hte_Country",
    "_index",
    "_parent_table_name",
    "_parent_index",
    "_submission__uuid",
]


# -- KoBo CSV --------------------------------------------------------------------------


def test_kobo_csv_rows_are_keyed_by_question_name_without_groups_or_metadata():
    rows = read("kobo-csv", fixture("kobo_screening.csv"))

    assert [row.number for row in rows] == [2, 3]
    assert [row.external_id for row in rows] == [FIRST, SECOND]
    assert rows[0].values == {
        "cas_RegistrationDate": "2026-11-02",
        "prs_FirstName": "Asha",
        "prs_SecondName": "Testwoman",
        "cas_InterviewDate": "2026-11-02",
        "con_Consent": "TRUE",
        "prs_Gender": "Feminine",
        "vic_TypeOfExploitation": "ForcedLabour SexualExploitation",
        "vic_Narrative": "Line one; with a semicolon\nand a second line",
    }
    assert "prs_SecondName" not in rows[1].values  # unanswered questions are left out
    assert rows[0].repeats == {}


def test_kobo_csv_with_commas_and_a_byte_order_mark_reads_the_same():
    data = b"\xef\xbb\xbf" + b"prs_FirstName,prs_Gender,_uuid\nAsha,Feminine,uuid:abc\n"

    (row,) = read("kobo-csv", data)

    assert row.values == {"prs_FirstName": "Asha", "prs_Gender": "Feminine"}
    assert row.external_id == "abc"


def test_standard_htcds_form_names_become_the_field_standards_names():
    (row,) = read("kobo-csv", fixture("kobo_htcds_standard.csv"))

    assert row.external_id == "5d1c0000-0000-4000-8000-000000000007"
    assert row.values == {
        "con_Consent": "TRUE",
        "prs_FirstName": "Esra",
        "prs_SecondName": "Example",
        "prs_Gender": "Feminine",
        "prs_Citizenship": "NP",
        "vic_MethodsOfControl": "DebtBondage FalsePromises",
        "vic_TypeOfExploitation": "ForcedLabour",
    }


def test_kobo_csv_reads_rows_one_by_one():
    data = b"prs_FirstName;_uuid\n" + b"".join(
        b"Person%d;id-%d\n" % (index, index) for index in range(5000)
    )
    stream = io.BytesIO(data)

    rows = reader_for("kobo-csv")(stream, "big.csv")
    first = next(rows)

    assert first.external_id == "id-0"
    assert stream.tell() < len(data)  # the rest of the file is not read yet
    assert sum(1 for _row in rows) == 4999


def test_blank_lines_are_skipped():
    rows = read("kobo-csv", b"prs_FirstName;_uuid\nAsha;a\n;\nBinod;b\n")

    assert [(row.number, row.external_id) for row in rows] == [(2, "a"), (4, "b")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"PK\x03\x04rest-of-a-zip", "XLSX workbook or a zip archive, not a CSV"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel"),
        (b'{"results": []}', "JSON, not a CSV"),
        (b"prs_FirstName;_uuid\nRen\xe9;x\n", "not UTF-8"),
        (b"prs_FirstName;_uuid\nA\x00B;x\n", "binary"),
        (b"prs_FirstName;prs_Gender\nAsha;Feminine\n", "no submission id column"),
        (b"First name;Gender\nAsha;Feminine\n", "not labels"),
        (b"prs_FirstName;_uuid\nAsha;\n", "Row 2 has no submission id"),
        (b"a/prs_Gender;b/prs_Gender;_uuid\nFeminine;Feminine;x\n", "same question prs_Gender"),
        (b'prs_FirstName;_uuid\n"Asha;x\n', "malformed"),
    ],
)
def test_kobo_csv_refuses_what_it_cannot_read_with_a_clear_message(data, message):
    with pytest.raises(ReaderError, match=message):
        read("kobo-csv", data)


def test_reader_errors_never_quote_a_cell():
    with pytest.raises(ReaderError) as error:
        read("kobo-csv", b"prs_FirstName;_uuid\nSecretname\xe9;x\n")

    assert "Secretname" not in str(error.value)


# -- KoBo XLSX -------------------------------------------------------------------------


def test_kobo_xlsx_joins_repeat_sheets_to_their_submissions():
    data = kobo_xlsx(
        [MAIN_HEADER, ["Asha", "Feminine", 101, FIRST, 1], ["Binod", "Masculine", 102, SECOND, 2]],
        {
            "events": [
                EVENTS_HEADER,
                ["Recruitment", "NPL", 1, "Harbour Screening", 1, FIRST],
                ["Exploitation", "IND", 2, "Harbour Screening", 1, FIRST],
                ["Transit", "THA", 3, "Harbour Screening", 2, SECOND],
            ]
        },
    )

    rows = read("kobo-xlsx", data)

    assert [row.external_id for row in rows] == [FIRST, SECOND]
    assert rows[0].values == {"prs_FirstName": "Asha", "prs_Gender": "Feminine"}
    assert rows[0].repeats == {
        "events": [
            {"hte_Type": "Recruitment", "hte_Country": "NPL"},
            {"hte_Type": "Exploitation", "hte_Country": "IND"},
        ]
    }
    assert rows[1].repeats == {"events": [{"hte_Type": "Transit", "hte_Country": "THA"}]}


def test_kobo_xlsx_dates_and_numbers_become_text():
    import datetime

    data = kobo_xlsx(
        [
            ["cas_InterviewDate", "prs_NumberOfChildren", "_uuid", "_index"],
            [datetime.datetime(2026, 11, 2), 2.0, "x", 1],
        ]
    )

    (row,) = read("kobo-xlsx", data)

    assert row.values == {"cas_InterviewDate": "2026-11-02", "prs_NumberOfChildren": "2"}


def test_kobo_xlsx_refuses_repeat_rows_out_of_order():
    data = kobo_xlsx(
        [MAIN_HEADER, ["Asha", "Feminine", 101, FIRST, 1], ["Binod", "Masculine", 102, SECOND, 2]],
        {
            "events": [
                EVENTS_HEADER,
                ["Transit", "THA", 1, "Harbour Screening", 2, SECOND],
                ["Recruitment", "NPL", 2, "Harbour Screening", 1, FIRST],
            ]
        },
    )

    with pytest.raises(ReaderError, match="events has rows that do not follow"):
        read("kobo-xlsx", data)


def test_kobo_xlsx_refuses_repeat_rows_of_a_missing_submission():
    data = kobo_xlsx(
        [MAIN_HEADER, ["Asha", "Feminine", 101, FIRST, 1]],
        {"events": [EVENTS_HEADER, ["Transit", "THA", 1, "Harbour Screening", 9, "zz"]]},
    )

    with pytest.raises(ReaderError, match="do not follow their submission"):
        read("kobo-xlsx", data)


def test_kobo_xlsx_refuses_nested_repeats():
    data = kobo_xlsx(
        [MAIN_HEADER, ["Asha", "Feminine", 101, FIRST, 1]],
        {"stops": [EVENTS_HEADER, ["Transit", "THA", 1, "events", 1, FIRST]]},
    )

    with pytest.raises(ReaderError, match="inside repeat groups"):
        read("kobo-xlsx", data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"prs_FirstName;_uuid\nAsha;x\n", "not an XLSX workbook"),
        (b"PK\x03\x04 not really a zip", "not an XLSX workbook"),
        (b"", "empty"),
    ],
)
def test_kobo_xlsx_refuses_a_file_that_is_not_a_workbook(data, message):
    with pytest.raises(ReaderError, match=message):
        read("kobo-xlsx", data)


def test_kobo_xlsx_without_ids_is_refused():
    data = kobo_xlsx([["prs_FirstName", "prs_Gender"], ["Asha", "Feminine"]])

    with pytest.raises(ReaderError, match="no submission id column"):
        read("kobo-xlsx", data)


# -- ODK Central -----------------------------------------------------------------------


def test_odk_central_csv_strips_dash_group_paths_and_server_columns():
    rows = read("odk-csv", fixture("odk_screening.csv"))

    assert [row.external_id for row in rows] == [ODK_FIRST, ODK_SECOND]
    assert rows[0].values == {
        "cas_RegistrationDate": "2026-11-02",
        "prs_FirstName": "Chandra",
        "cas_InterviewDate": "2026-11-02",
        "con_Consent": "TRUE",
        "prs_Gender": "Feminine",
        "vic_TypeOfExploitation": "ForcedLabour",
    }


def test_odk_central_zip_brings_repeat_csvs_to_their_submissions():
    data = odk_zip(
        {
            "odk_screening.csv": fixture("odk_screening.csv"),
            "odk_screening-events.csv": fixture("odk_screening-events.csv"),
            "media/photo.jpg": b"\xff\xd8",
        }
    )

    rows = read("odk-csv", data, "harbour_screening.zip")

    assert [row.external_id for row in rows] == [ODK_FIRST, ODK_SECOND]
    assert rows[0].repeats == {
        "events": [
            {
                "hte_Type": "Recruitment",
                "hte_Country": "NPL",
                "hte_City": "Invented town",
                "hte_Date": "2026-01-10",
            },
            {"hte_Type": "Exploitation", "hte_Country": "IND"},
        ]
    }
    assert rows[1].repeats == {"events": [{"hte_Type": "Transit", "hte_Country": "THA"}]}


def test_odk_zip_without_a_submissions_csv_is_refused():
    data = odk_zip({"odk_screening-events.csv": fixture("odk_screening-events.csv")})

    with pytest.raises(ReaderError, match="not an ODK Central export"):
        read("odk-csv", data)


def test_odk_zip_refuses_nested_repeats():
    nested = b"x,PARENT_KEY,KEY\n1,uuid:a/events[1],uuid:a/events[1]/stops[1]\n"
    data = odk_zip({"f.csv": b"name,meta-instanceID,KEY\nA,uuid:a,uuid:a\n", "f-stops.csv": nested})

    with pytest.raises(ReaderError, match="inside repeat groups"):
        read("odk-csv", data)


def test_a_broken_zip_is_refused():
    with pytest.raises(ReaderError, match="not a zip archive"):
        read("odk-csv", b"PK\x03\x04 garbage that is no zip")


# -- KoBo JSON -------------------------------------------------------------------------


def test_kobo_json_api_export_reads_values_and_repeats():
    rows = read("kobo-json", fixture("kobo_screening.json"))

    assert [(row.number, row.external_id) for row in rows] == [(1, FIRST), (2, SECOND)]
    assert rows[0].values == {
        "cas_RegistrationDate": "2026-11-02",
        "prs_FirstName": "Asha",
        "cas_InterviewDate": "2026-11-02",
        "con_Consent": "TRUE",
        "prs_Gender": "Feminine",
        "prs_NumberOfChildren": "2",
        "vic_TypeOfExploitation": "ForcedLabour",
    }
    assert rows[0].repeats == {
        "events": [
            {"hte_Type": "Recruitment", "hte_Country": "NPL", "hte_Date": "2026-01-10"},
            {"hte_Type": "Exploitation", "hte_Country": "IND"},
        ]
    }
    assert rows[1].values == {"prs_FirstName": "Binod", "con_Consent": "FALSE"}


def test_the_same_submission_has_the_same_id_in_every_export():
    csv_ids = [row.external_id for row in read("kobo-csv", fixture("kobo_screening.csv"))]
    json_ids = [row.external_id for row in read("kobo-json", fixture("kobo_screening.json"))]

    assert csv_ids == json_ids


def test_kobo_json_bare_list_is_read_too():
    data = json.dumps([{"_uuid": "a", "prs_FirstName": "Asha"}]).encode()

    (row,) = read("kobo-json", data)

    assert (row.external_id, row.values) == ("a", {"prs_FirstName": "Asha"})


def test_kobo_json_streams_across_chunks():
    items = [{"_uuid": f"id-{index}", "prs_FirstName": "x" * 50} for index in range(3000)]
    data = json.dumps({"count": 3000, "results": items}).encode()
    assert len(data) > 3 * odk.CHUNK

    rows = read("kobo-json", data)

    assert [row.external_id for row in rows] == [f"id-{index}" for index in range(3000)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"prs_FirstName;_uuid\nAsha;x\n", "not a KoBoToolbox JSON export"),
        (b'{"results": [{"_uuid": "a"}', "not valid JSON"),
        (b'{"results": [{"_uuid": "a"}]} trailing', "not valid JSON"),
        (b'{"results": [1, 2]}', "not a KoBoToolbox JSON export"),
        (b'{"results": [{"prs_FirstName": "Asha"}]}', "has no submission id"),
        ('{"results": [{"_uuid": "a", "x": "é"}]}'.encode("latin-1"), "not UTF-8"),
        (b'{"results": [{"_uuid": "a", "prs_Gender": {"x": 1}}]}', "prs_Gender is not text"),
        (
            b'{"results": [{"_uuid": "a", "r": [{"r/s": [{"r/s/x": "1"}]}]}]}',
            "inside repeat groups",
        ),
        (b"PK\x03\x04", "not a JSON file"),
    ],
)
def test_kobo_json_refuses_what_it_cannot_read(data, message):
    with pytest.raises(ReaderError, match=message):
        read("kobo-json", data)


def test_the_four_formats_are_registered():
    from intake.readers import READERS

    assert {"kobo-csv", "kobo-xlsx", "kobo-json", "odk-csv"} <= set(READERS)
