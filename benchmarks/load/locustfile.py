"""Locust users of the load benchmark: caseworkers, central administrators, researchers.

Run by ``benchmarks/load/run.py``, which seeds the database, creates one account per virtual
user (with its own authenticator-app secret, so codes are never replayed across users) and
writes the plan this file reads from ``HARBOUR_LOAD_PLAN``: accounts, and ids of cases and
screenings each user may work on (ids only, nothing personal). Every virtual user signs in
through the real two-step sign-in, then works in its own slice of records, so that two users
never edit the same screening (an edit conflict would be a correct refusal, not load).

Each write the generator sees succeed is counted by kind and written to
``HARBOUR_LOAD_WRITES`` when the run stops; the runner compares the counts with the database
and the audit trail.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from collections import Counter
from pathlib import Path

from django_otp.oath import totp
from locust import HttpUser, between, events, task

from benchmarks.load.forms import form_with

PLAN = json.loads(Path(os.environ["HARBOUR_LOAD_PLAN"]).read_text(encoding="utf-8"))
WRITES: Counter[str] = Counter()
_accounts = {role: itertools.cycle(PLAN["accounts"][role]) for role in PLAN["accounts"]}
_pending_reviews = list(PLAN["pending_screenings"])
random.shuffle(_pending_reviews)
BACKGROUND = {"X-Harbour-Background": "1"}


@events.test_stop.add_listener
def _write_counts(**_kwargs) -> None:
    path = os.environ.get("HARBOUR_LOAD_WRITES")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(dict(WRITES), out)


class HarbourUser(HttpUser):
    abstract = True
    role = ""
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.account = next(_accounts[self.role])
        self.sign_in()

    def sign_in(self) -> None:
        page = self.client.get("/accounts/login/", name="sign in (page)")
        form = form_with(page.text, "password")
        assert form is not None, "no sign-in form"
        form.values["username"] = [self.account["email"]]
        form.values["password"] = [self.account["password"]]
        step = self.client.post("/accounts/login/", data=form.data(), name="sign in (password)")
        code_form = form_with(step.text, "otp_token")
        assert code_form is not None, f"no code step after the password ({step.status_code})"
        # A code of a time step this device already accepted is refused (replay): wait for
        # the next step if a restarted user signs in twice within 30 seconds.
        key = bytes.fromhex(self.account["totp_key"])
        code_form.values["otp_token"] = [str(totp(key)).zfill(6)]
        done = self.client.post(step.url, data=code_form.data(), name="sign in (code)")
        if "otp_token" in done.text and form_with(done.text, "otp_token"):
            time.sleep(30)
            code_form.values["otp_token"] = [str(totp(key)).zfill(6)]
            self.client.post(step.url, data=code_form.data(), name="sign in (code)")

    def submit(self, url: str, form, *, name: str, kind: str, success: re.Pattern | None = None):
        """POST ``form`` to ``url``; a redirect is success (the form re-rendered is not)."""
        with self.client.post(
            form.action or url,
            data=form.data(),
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code in (302, 303) and (success is None or success.search(location)):
                WRITES[kind] += 1
                response.success()
                return location
            # The form's own messages say why (synthetic records: nothing personal in them).
            summary = re.search(r'id="error-summary".*?</ul>', response.text, re.S)
            errors = re.findall(r"<li>(?:<a [^>]*>)?([^<]*)", summary.group(0)) if summary else []
            response.failure(f"{name}: HTTP {response.status_code}, not saved: {errors[:2]}")
            return None

    def fill_and_submit(self, url: str, *, page_name: str, field: str, **submit) -> None:
        """Open a form page, keep what it filled, fill what is required, and submit it."""
        page = self.client.get(url, name=page_name)
        form = form_with(page.text, field)
        if form is None:
            return
        form.fill_required()
        self.submit(url, form, **submit)


class Caseworker(HarbourUser):
    weight = 8
    role = "caseworker"

    def on_start(self) -> None:
        super().on_start()
        mission = self.account["mission"]
        self.cases = PLAN["cases"][mission]
        self.active_cases = PLAN["active_cases"][mission]
        slice_ = PLAN["draft_screenings"][self.account["email"]]
        self.drafts = slice_ or []
        self.citizenship = PLAN["citizenship"].get(mission, "")

    @task(3)
    def case_list(self) -> None:
        self.client.get(f"/cases/?page={random.randint(1, 20)}", name="case list")

    @task(2)
    def case_list_filtered(self) -> None:
        self.client.get(
            f"/cases/?status=active&citizenship={self.citizenship}", name="case list (filtered)"
        )

    @task(6)
    def case_page(self) -> None:
        self.client.get(f"/cases/{random.choice(self.cases)}/", name="case page")

    @task(2)
    def dashboard(self) -> None:
        self.client.get("/", name="dashboard")

    @task(1)
    def save_screening_section(self) -> None:
        if not self.drafts:
            return
        screening = random.choice(self.drafts)
        self.fill_and_submit(
            f"/screenings/{screening}/sections/interview/",
            page_name="screening section",
            field="version",
            name="screening section save",
            kind="screening_section_saved",
            success=re.compile(r"/screenings/[0-9a-f-]{36}/"),
        )

    @task(1)
    def record_service(self) -> None:
        if not self.active_cases:
            return
        case = random.choice(self.active_cases)
        self.fill_and_submit(
            f"/assistance/cases/{case}/services/new/",
            page_name="service form",
            field="category",
            name="service save",
            kind="service_recorded",
            success=re.compile(r"/assistance/cases/[0-9a-f-]{36}/services/$"),
        )


class CentralAdministrator(HarbourUser):
    weight = 1
    role = "admin"

    @task(4)
    def review_queue(self) -> None:
        self.client.get("/screenings/review/", name="review queue")

    @task(2)
    def case_page(self) -> None:
        mission = random.choice(list(PLAN["cases"]))
        self.client.get(f"/cases/{random.choice(PLAN['cases'][mission])}/", name="case page")

    @task(1)
    def approve(self) -> None:
        if not _pending_reviews:
            return
        screening = _pending_reviews.pop()
        url = f"/screenings/{screening}/review/"
        page = self.client.get(url, name="review page")
        form = form_with(page.text, "decision")
        if form is None:
            return
        form.values["decision"] = ["approve"]
        form.values["comment"] = ["Reviewed in the load benchmark"]
        self.submit(
            url,
            form,
            name="approve",
            kind="screening_approved",
            success=re.compile(r"/screenings/review/"),
        )


class Researcher(HarbourUser):
    weight = 1
    role = "researcher"
    wait_time = between(2, 5)

    @task(3)
    def extract_list(self) -> None:
        self.client.get("/research/", name="extract list")

    @task(1)
    def request_extract(self) -> None:
        page = self.client.get("/research/extracts/new/", name="extract form")
        form = form_with(page.text, "dimensions")
        if form is None:
            return
        form.values["dimensions"] = random.choice(PLAN["extract_dimensions"])
        form.values.pop("estimate", None)
        location = self.submit(
            "/research/extracts/new/",
            form,
            name="extract request",
            kind="research_extract_requested",
            success=re.compile(r"/research/extracts/[0-9a-f-]{36}/$"),
        )
        if not location:
            return
        extract = location.rstrip("/").rsplit("/", 1)[-1]
        for _ in range(30):
            progress = self.client.get(
                f"/research/extracts/{extract}/progress/",
                name="extract progress",
                headers=BACKGROUND,
            )
            if "download" in progress.text or "failed" in progress.text.lower():
                break
            time.sleep(1)
        self.client.get(f"/research/extracts/{extract}/download/", name="extract download")
