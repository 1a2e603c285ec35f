"""Role x outcome rows shared by the access matrix and its per-feature parts."""

ROLES = ("anonymous", "caseworker", "other", "central_admin", "researcher", "superuser")
LOGIN = "login"  # a redirect to the sign-in page
HOME = "home"  # a redirect to the dashboard


def _row(default, **overrides):
    row = dict.fromkeys(ROLES, default)
    row.update(overrides)
    return row


SIGNED_IN = _row(200, anonymous=LOGIN)
CASE_WORK = _row(200, anonymous=LOGIN, researcher=404)
CASE_SCOPED = _row(200, anonymous=LOGIN, other=404, researcher=404)
ADMIN_ONLY = _row(404, anonymous=LOGIN, central_admin=200, superuser=200)
ADMIN_ONLY_POST = _row(404, anonymous=LOGIN, central_admin=405, superuser=405)
CASE_SCOPED_POST = _row(405, anonymous=LOGIN, researcher=404)
ADMIN_CASE_SCOPED = _row(404, anonymous=LOGIN, central_admin=200, superuser=200)
API_CASE_WORK = _row(200, anonymous=403, researcher=404)
API_CASE_SCOPED = _row(200, anonymous=403, other=404, researcher=404)
# The method is refused before scoping, which reveals nothing: a missing record gets it too.
API_CASE_SCOPED_POST = _row(405, anonymous=403)
API_ADMIN_ONLY = _row(404, anonymous=403, central_admin=200, superuser=200)
API_ADMIN_ONLY_POST = _row(404, anonymous=403, central_admin=405, superuser=405)
# Research pages exist for researchers only; for everyone else they are not there at all.
RESEARCH = _row(404, anonymous=LOGIN, researcher=200)
RESEARCH_POST = _row(404, anonymous=LOGIN, researcher=405)
API_RESEARCH = _row(404, anonymous=403, researcher=200)
API_RESEARCH_POST = _row(404, anonymous=403, researcher=405)
