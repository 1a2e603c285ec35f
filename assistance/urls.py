from .profile_urls import urlpatterns as profile_urlpatterns

app_name = "assistance"

urlpatterns = [
    *profile_urlpatterns,
]
