from rest_framework.routers import DefaultRouter

from .views import ContactViewSet, CustomerViewSet, EventViewSet

router = DefaultRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("events", EventViewSet, basename="event")
router.register("contacts", ContactViewSet, basename="contact")

urlpatterns = router.urls
