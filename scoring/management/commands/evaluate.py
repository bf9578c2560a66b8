import json
from dataclasses import asdict
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from scoring.evaluation import evaluate
from scoring.services import defaults_install
from scoring.training import TrainingError

METRICS = ("n", "churn_rate", "roc_auc", "pr_auc", "brier", "ece", "lift_top_decile")


def _fmt(v):
    return "-" if v is None else (f"{v:.4f}" if isinstance(v, float) else str(v))


class Command(BaseCommand):
    help = "Train as of one cut-off, score as of a later one, and compare against recency and the rules."

    def add_arguments(self, parser):
        parser.add_argument("--train-cutoff", type=date.fromisoformat, required=True)
        parser.add_argument("--test-cutoff", type=date.fromisoformat, required=True)
        parser.add_argument("--horizon-days", type=int, default=60)
        parser.add_argument("--active-days", type=int, default=None)
        parser.add_argument("--json", dest="json_path", default=None)

    def handle(self, *args, train_cutoff, test_cutoff, horizon_days, active_days, json_path, **options):
        if test_cutoff <= train_cutoff:
            raise CommandError("--test-cutoff must come after --train-cutoff")
        defaults_install()
        try:
            result = evaluate(
                train_cutoff=train_cutoff, test_cutoff=test_cutoff, horizon_days=horizon_days, active_days=active_days
            )
        except (TrainingError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{'scorer':<28}" + "".join(f"{m:>16}" for m in METRICS))
        for name, figures in (
            (f"model ({result.algorithm})", result.model),
            ("recency alone", result.recency),
            ("rules alone", result.rules),
            ("logistic regression", result.logistic_regression),
            ("BG/NBD P(alive)", result.bgnbd),
        ):
            self.stdout.write(f"{name:<28}" + "".join(f"{_fmt(figures.get(m)):>16}" for m in METRICS))
        self.stdout.write("validation over " + ", ".join(result.params["validation_cutoffs"]) + ":")
        for name, c in sorted(result.candidates.items(), key=lambda kv: -(kv[1]["roc_auc"] or 0)):
            self.stdout.write(
                f"  {name:<34} ROC AUC {_fmt(c['roc_auc'])} ± {_fmt(c['roc_auc_std'])}"
                f"  PR AUC {_fmt(c['pr_auc'])} ± {_fmt(c['pr_auc_std'])}"
            )
        if json_path:
            with open(json_path, "w") as fh:
                json.dump(asdict(result), fh, indent=2)
            self.stdout.write(f"wrote {json_path}")
