"""Per-feature parts of the access matrix (``tests/test_access_matrix.py``).

Each part declares ``ROWS`` (URL name -> (outcome per role, kwargs it needs)), ``SCOPED_WRITES``
(case-scoped URLs that change data) and ``world(case=..., users=...)``, which creates the records
its URLs need for the matrix's case of mission A and returns their URL kwargs.
"""

from tests.matrix import (
    account_security,
    assistance_pages,
    closure,
    intake,
    languages,
    privacy,
    reintegration,
    releases,
    second_factors,
    sign_in_security,
    trafficking_details,
    xlsform,
)

PARTS = (
    assistance_pages,
    trafficking_details,
    reintegration,
    closure,
    intake,
    privacy,
    releases,
    sign_in_security,
    account_security,
    second_factors,
    xlsform,
    languages,
)
