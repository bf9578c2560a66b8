from django.core.management.base import BaseCommand, CommandError

from scoring.training import model_rollback


class Command(BaseCommand):
    help = "Re-activate the model that was active before the current one."

    def handle(self, *args, **options):
        try:
            model = model_rollback()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"rolled back: model #{model.pk} ({model.algorithm}) is active again")
