from django.urls import include, path

app_name = "tutoring"

# Two slices share the namespace: the tutor journey (sign-up, screening, training, profile, peer
# review) and needs + matching (needs, runs, matches, check-ins, reports).
urlpatterns = [
    path("", include("leerloopbaan.tutoring.tutors.urls")),
    path("", include("leerloopbaan.tutoring.matching.urls")),
]
