from django.core.management.base import BaseCommand, CommandError

from scoring.models import ModelVersion
from scoring.training import model_promote


class Command(BaseCommand):
    help = "Make a stored model version the active one (a human decision: no quality gate)."

    def add_arguments(self, parser):
        parser.add_argument("version", type=int, help="ModelVersion id")

    def handle(self, *args, version, **options):
        try:
            model = ModelVersion.objects.get(pk=version)
        except ModelVersion.DoesNotExist as exc:
            raise CommandError(f"no model version #{version}") from exc
        model_promote(version=model)
        self.stdout.write(f"model #{model.pk} ({model.algorithm}) is now active")
