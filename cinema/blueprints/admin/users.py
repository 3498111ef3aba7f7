"""Admin: accounts (create staff, change roles)."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user

from cinema.accounts import accounts
from cinema.blueprints.admin import bp
from cinema.errors import on_error_render
from cinema.forms import validate_or_raise
from cinema.forms.accounts import RoleForm, StaffCreateForm
from cinema.forms.params import page_param, text_param
from cinema.models import UserRole
from cinema.rendering import render


def _users_page(form=None, error=None):
    page = page_param(request.args)
    query = text_param(request.args, "q", 100)
    users = accounts.list_users(page, query=query)
    return render("pages/admin/users.html", users=users, q=query,
                  form=form or StaffCreateForm(), role_form=RoleForm(), error=error)


@bp.get("/users")
def users():
    """All accounts; create staff, change roles."""
    return _users_page()


@bp.post("/users")
def create_user():
    """Create a staff (or other role) account."""
    form = StaffCreateForm()
    on_error_render(lambda error: _users_page(form, error))
    validate_or_raise(form)
    user = accounts.register(form.email.data, form.full_name.data, form.password.data,
                             role=UserRole(form.role.data), created_by=current_user.id)
    flash(f"Created {user.role.value.title()} account for {user.email}.", "success")
    return redirect(url_for("admin.users"), 303)


@bp.post("/users/<id:user_id>/role")
def change_role(user_id: int):
    """Change one user's role."""
    form = RoleForm()
    on_error_render(lambda error: _users_page(error=error))
    validate_or_raise(form)
    user = accounts.set_role(current_user.id, user_id, UserRole(form.role.data))
    flash(f"{user.email} is now {user.role.value.title()}.", "success")
    return redirect(url_for("admin.users"), 303)
