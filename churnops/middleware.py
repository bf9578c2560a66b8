"""Request guards that apply to every page and API endpoint."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse


class RequestBodyLimitMiddleware:
    """Refuse a request body above DATA_UPLOAD_MAX_MEMORY_SIZE with 413, before anything reads it.

    Django enforces that limit only when it parses a form or reads `request.body`; DRF's parsers read the raw
    stream, so without this a JSON body of any size would be read into memory. Multipart uploads keep Django's
    own rules (files stream to disk; the form fields count against the limit).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        content_type = request.META.get("CONTENT_TYPE", "")
        if limit is not None and not content_type.startswith("multipart/form-data"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                message = f"request body of {length} bytes is larger than the limit of {limit} bytes"
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": message}, status=413)
                return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
