"""Pages of the further trafficking details and of joint case-sharing decisions."""

urlpatterns: list = []
