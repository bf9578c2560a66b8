from rest_framework.routers import DefaultRouter

from .views import NotificationViewSet, WorkOrderViewSet

router = DefaultRouter()
router.register("work-orders", WorkOrderViewSet, basename="work-order")
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = router.urls
