"""API token authentication with the token and its user read by SQL written once per process.

DRF's TokenAuthentication compiles the same `select_related` queryset on every request; that cost
about a millisecond of CPU per API call, more than the query itself (bench/api_boxes.py). The
answers are DRF's: an unknown token or an inactive user is a 401.
"""

from functools import cache

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from annotations import rows

User = Token._meta.get_field("user").related_model


@cache
def _token_sql() -> str:
    return (
        f"SELECT {rows.all_columns(Token)}, {rows.all_columns(User)} FROM {rows.table(Token)} "
        f"JOIN {rows.table(User)} ON {rows.column(User, 'id')} = {rows.column(Token, 'user')} "
        f"WHERE {rows.column(Token, 'key')} = %s"
    )


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        row = rows.fetch_one(_token_sql(), [key])
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        (token_values, user_values), _rest = rows.split(row, Token, User)
        token = rows.instance(Token, token_values)
        token.user = rows.instance(User, user_values)
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token
