import json
from datetime import date

from django.core.management.base import BaseCommand

from scoring.backtest import backtest_rules
from scoring.services import defaults_install


def _pct(v):
    return "-" if v is None else f"{v:.1%}"


class Command(BaseCommand):
    help = "Backtest the rules in force: per rule and for '>= N rules', precision and recall against churn."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=date.fromisoformat, required=True)
        parser.add_argument("--horizon-days", type=int, default=60)
        parser.add_argument("--min-rules", type=int, default=None, help="N of '>= N rules' (default: policy)")
        parser.add_argument("--json", dest="json_path", default=None)

    def handle(self, *args, as_of, horizon_days, min_rules, json_path, **options):
        defaults_install()
        result = backtest_rules(as_of=as_of, horizon_days=horizon_days, min_rules=min_rules)
        self.stdout.write(
            f"as of {as_of}, horizon {horizon_days} days: {result['customers']} customers, {result['churners']} churned"
        )
        self.stdout.write(f"{'rule':<28}{'flagged':>9}{'churned':>9}{'precision':>11}{'recall':>9}")
        for r in result["rules"]:
            self.stdout.write(
                f"{r['rule']:<28}{r['flagged']:>9}{r['churned']:>9}{_pct(r['precision']):>11}{_pct(r['recall']):>9}"
            )
        if json_path:
            with open(json_path, "w") as fh:
                json.dump(result, fh, indent=2)
