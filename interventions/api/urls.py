from rest_framework.routers import DefaultRouter

from .playbooks import OfferViewSet, PlaybookViewSet
from .views import NotificationViewSet, WorkOrderViewSet

router = DefaultRouter()
router.register("work-orders", WorkOrderViewSet, basename="work-order")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("playbooks", PlaybookViewSet, basename="playbook")
router.register("offers", OfferViewSet, basename="offer")

urlpatterns = router.urls
