from __future__ import annotations

from allauth.account.views import LoginView
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .forms import NewTokenForm, ProfileForm
from .login_page import login_page_context
from .mfa import second_factor_state
from .models import ApiToken


class KeelLoginView(LoginView):
    """allauth's sign-in page, with what Keel's login page adds (provider buttons)."""

    def get_context_data(self, **kwargs) -> dict:
        return {**super().get_context_data(**kwargs), **login_page_context(self.request)}


login = KeelLoginView.as_view()


@login_required
def profile(request):
    form = ProfileForm(instance=request.user)
    token_form = NewTokenForm()
    new_token = None
    if request.method == "POST" and "save_profile" in request.POST:
        form = ProfileForm(request.POST, instance=request.user)
        if form.is_valid():
            form.save()
            messages.success(request, "Profile saved.")
            return redirect("accounts:profile")
    elif request.method == "POST" and "create_token" in request.POST:
        token_form = NewTokenForm(request.POST)
        if token_form.is_valid():
            _token, new_token = ApiToken.issue(request.user, token_form.cleaned_data["name"])
            token_form = NewTokenForm()
    memberships = request.user.memberships.select_related("team")
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "token_form": token_form,
            "new_token": new_token,
            "tokens": request.user.api_tokens.all(),
            "memberships": memberships,
            "second_factor": second_factor_state(request.user),
        },
    )


@login_required
@require_POST
def revoke_token(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token.revoke()
    messages.success(request, f"Token “{token.name}” revoked. Scripts using it will stop working.")
    return redirect("accounts:profile")
