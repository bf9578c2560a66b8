from django.apps import AppConfig


class ScoringConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "scoring"

    def ready(self):
        from customers.models import Customer

        from .models import LatestScore

        # `customer.scores`: the customer's stored score rows, as the relation read before the history was bounded
        # (now one row, the latest; every night is in the packed history: scoring.selectors.score_history). Scripts
        # written against the old relation (../shared/tools/try-real-log) keep working; the project itself reads
        # scores through scoring.selectors. Set here, not in customers/, which sits below scoring.
        Customer.scores = property(lambda customer: LatestScore.objects.filter(customer=customer))
