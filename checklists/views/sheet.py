"""The printable case sheet and the calendar file (being written)."""

urlpatterns = []
