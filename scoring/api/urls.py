from rest_framework.routers import DefaultRouter

from .views import ModelVersionViewSet, RuleViewSet, ScoreRunViewSet

router = DefaultRouter()
router.register("score-runs", ScoreRunViewSet, basename="score-run")
router.register("models", ModelVersionViewSet, basename="model-version")
router.register("rules", RuleViewSet, basename="rule")

urlpatterns = router.urls
