import os

from celery import Celery, Task
from celery.signals import before_task_publish, task_postrun, task_prerun, task_received
from celery.worker.request import Request

from config import request_context

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


class RequestIdRequest(Request):
    """The worker's view of a received message, under the queuing request's id from the
    start, so the "Task … received" line carries it too."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request_context.bind_received_request_id(self._request_dict)


class HarbourTask(Task):
    Request = RequestIdRequest


app = Celery("harbour", task_cls=HarbourTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every task runs under the request id of whatever queued it, or an id of its own (beat).
before_task_publish.connect(request_context.add_request_id_header, weak=False)
task_prerun.connect(request_context.bind_task_request_id, weak=False)
task_postrun.connect(request_context.clear_task_request_id, weak=False)
task_received.connect(request_context.clear_received_request_id, weak=False)
