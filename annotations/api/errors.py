"""One place where errors become JSON: `{"detail": ...}` plus field errors, never a 500 for bad input."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, OperationalError
from django.http import Http404, JsonResponse
from django.views.defaults import page_not_found
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from annotations.errors import DomainError, StaleVersion
from annotations.selectors.boxes import box_to_dict
from annotations.services.locking import FrameBusy, is_lock_conflict

logger = logging.getLogger(__name__)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        data = {"detail": exc.detail, **exc.extra}
        if isinstance(exc, StaleVersion):
            data["current"] = box_to_dict(exc.current)  # BoxOutput's shape
        return Response(data, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            data = {field: [str(m) for e in errors for m in e.messages] for field, errors in exc.error_dict.items()}
            data["detail"] = "Invalid input."
        else:
            data = {"detail": " ".join(exc.messages)}
        return Response(data, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, (IntegrityError, DataError)):
        # A constraint the input broke that validation did not catch first: still the client's input.
        logger.warning("Constraint refused a write: %s", exc)
        return Response({"detail": "The request conflicts with existing data."}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, OperationalError) and is_lock_conflict(exc):
        # A deadlock or serialization failure that escaped a service's own retry: the request lost
        # a race and changed nothing (its transaction rolled back); trying again is the remedy.
        logger.warning("Lock conflict answered as 409: %s", exc)
        return Response({"detail": FrameBusy.default_detail}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, Http404):
        return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, DjangoPermissionDenied):
        return Response({"detail": "Permission denied."}, status=status.HTTP_403_FORBIDDEN)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        response.data = {"detail": " ".join(str(item) for item in response.data)}
    elif response is not None and isinstance(response.data, dict) and "detail" not in response.data:
        response.data["detail"] = "Invalid input."
    return response


def not_found(request, exception):
    """Django's `handler404`: a route no pattern matches (an id past 64 bits, say) is JSON under /api/."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
    return page_not_found(request, exception)
