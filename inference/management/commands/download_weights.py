from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from inference.detectors.base import DetectorUnavailable


class Command(BaseCommand):
    help = (
        "Download the moondream2 weights at the pinned revision (MOONDREAM_MODEL, MOONDREAM_REVISION) and the "
        "tokenizer its code reads into the Hugging Face cache, with progress bars, then check that they load."
    )

    def add_arguments(self, parser):
        parser.add_argument("--model", default=None, help="Repo id or local directory (default: MOONDREAM_MODEL).")
        parser.add_argument("--revision", default=None, help="Revision (default: MOONDREAM_REVISION).")
        parser.add_argument("--device", default="cpu", help="Device for the load check (default: cpu).")
        parser.add_argument("--no-check", action="store_true", help="Only download; do not load the model.")

    def handle(self, *args, model=None, revision=None, device="cpu", no_check=False, **options):
        from inference.detectors.weights import weights_download  # imports huggingface_hub, torch on use

        model, revision = model or settings.MOONDREAM_MODEL, revision or settings.MOONDREAM_REVISION
        self.stdout.write(f"moondream2: {model} at revision {revision}")
        try:
            result = weights_download(model=model, revision=revision, device=device, check=not no_check)
        except DetectorUnavailable as error:
            raise CommandError(str(error)) from error
        except Exception as error:  # the network, the disk: the hub's own message says which
            raise CommandError(f"Downloading {model}@{revision} failed: {type(error).__name__}: {error}") from error
        self.stdout.write(f"weights: {result['path']} ({result['bytes'] / 2**30:.2f} GiB)")
        self.stdout.write(f"tokenizer: {result['tokenizer']}")
        if result["load_seconds"] is None:
            self.stdout.write("not checked (--no-check)")
        else:
            self.stdout.write(f"loaded and checked on {device} in {result['load_seconds']:.1f} s: ready")
