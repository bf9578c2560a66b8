from rest_framework.routers import DefaultRouter

from .views import CustomerViewSet, EventViewSet

router = DefaultRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("events", EventViewSet, basename="event")

urlpatterns = router.urls
