import io

import pytest
from openpyxl import Workbook

from intake import services

HEADER = (
    "external_id,cas_RegistrationDate,prs_FirstName,prs_SecondName,prs_Birthdate,prs_Gender,"
    "prs_Citizenship,prs_PrimaryLanguage,con_Consent,con_ResearchConsent,vic_TraffickingStatus,"
    "vic_TypeOfExploitation,vic_MethodsOfControl,vic_LocationOfExploitation,"
    "vic_ExploitationStartDate,vic_ExploitationEndDate,hte_Type_1,hte_Country_1,hte_City_1,"
    "hte_Type_2,hte_Country_2"
)
ROWS = (
    "L-1,2024-03-01,Amina,Rahman,1999-05-04,Feminine,BGD;IND,bn,1,1,ActualVictimOfTrafficking,"
    "ForcedLabour;SexualExploitation,DebtBondage,MYS,2023-01-10,2023-09-01,Recruitment,BGD,"
    "Dhaka,Exploitation,MYS",
    "L-2,2024-04-02,Joseph,Okello,,Masculine,UGA,,1,0,,,,,,,,,,,",
)


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    settings.HARBOUR_IMPORT_DIR = tmp_path / "imports"
    return settings.HARBOUR_IMPORT_DIR


@pytest.fixture
def upload(central_admin, mission_a):
    """Create and validate a job from CSV text or bytes, as the page does, without Celery."""

    def _upload(content, *, name="cases.csv", fmt="htcds", **options):
        data = content.encode() if isinstance(content, str) else content
        job = services.import_job_create(
            actor=central_admin,
            mission=mission_a,
            format=fmt,
            source=options.pop("source", "legacy"),
            file_name=name,
            file_size=len(data),
            chunks=[data],
            enqueue=False,
            **options,
        )
        return services.import_validate(job_id=job.pk)

    return _upload


@pytest.fixture
def run(central_admin):
    def _run(job, *, import_valid_rows=False):
        services.import_confirm(
            actor=central_admin, job_id=job.pk, import_valid_rows=import_valid_rows, enqueue=False
        )
        return services.import_run(job_id=job.pk)

    return _run
