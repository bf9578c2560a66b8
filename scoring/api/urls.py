from rest_framework.routers import DefaultRouter

from .views import (
    ModelVersionViewSet,
    PolicyVersionViewSet,
    RuleSetVersionViewSet,
    RuleViewSet,
    ScoreRunViewSet,
    WinbackViewSet,
)

router = DefaultRouter()
router.register("score-runs", ScoreRunViewSet, basename="score-run")
router.register("models", ModelVersionViewSet, basename="model-version")
router.register("rules", RuleViewSet, basename="rule")
router.register("policy-versions", PolicyVersionViewSet, basename="policy-version")
router.register("ruleset-versions", RuleSetVersionViewSet, basename="ruleset-version")
router.register("win-back", WinbackViewSet, basename="win-back")

urlpatterns = router.urls
