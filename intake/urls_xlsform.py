from django.urls import path

from . import views_xlsform

app_name = "intake_xlsform"

urlpatterns = [
    path("screening.xlsx", views_xlsform.screening_xlsform_download, name="screening_form"),
]
