import os

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

from config import request_context

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("harbour")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every task runs under the request id of whatever queued it, or an id of its own (beat).
before_task_publish.connect(request_context.add_request_id_header, weak=False)
task_prerun.connect(request_context.bind_task_request_id, weak=False)
task_postrun.connect(request_context.clear_task_request_id, weak=False)
