from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from scoring.training import TrainingError, model_train


class Command(BaseCommand):
    help = "Train a churn model on history (monthly cut-offs, time-split validation) and promote it if better."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=date.fromisoformat, default=None)
        parser.add_argument("--horizon-days", type=int, default=None)
        parser.add_argument("--promote", choices=["if_better", "always", "never"], default="if_better")

    def handle(self, *args, as_of=None, horizon_days=None, promote="if_better", **options):
        try:
            outcome = model_train(as_of=as_of or timezone.localdate(), horizon_days=horizon_days, promote=promote)
        except TrainingError as exc:
            raise CommandError(str(exc)) from exc
        m = outcome.version.metrics
        self.stdout.write(
            f"model #{outcome.version.pk} {outcome.version.algorithm}: validation ROC AUC {m['roc_auc']:.3f}, "
            f"PR AUC {m['pr_auc']:.3f}, Brier {m['brier']:.3f}, lift@10% {m['lift_top_decile']:.2f} "
            f"(n={m['n']}, churn rate {m['churn_rate']:.1%}) -> {outcome.reason}"
        )
