from django.urls import path

from . import views

app_name = "screening"

urlpatterns = [
    path("start/<uuid:case_id>/", views.screening_start_view, name="start"),
    path("review/", views.review_queue_view, name="review_queue"),
    path("<uuid:screening_id>/", views.screening_detail, name="detail"),
    path(
        "<uuid:screening_id>/sections/<slug:section>/",
        views.screening_section,
        name="section",
    ),
    path("<uuid:screening_id>/submit/", views.screening_submit_view, name="submit"),
    path("<uuid:screening_id>/review/", views.screening_review, name="review"),
]
