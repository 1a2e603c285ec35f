from accounts.second_factor import policy


def roles(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"role_caseworker": False, "role_central_admin": False, "role_researcher": False}
    return {
        "role_caseworker": user.is_caseworker,
        "role_central_admin": user.sees_all_missions,
        "role_researcher": user.is_researcher,
    }


def second_factor(request) -> dict:
    """The grace-period banner: a caseworker who must soon use a second factor is reminded on
    every page until they set one up."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if policy.session_state(request) is not policy.SessionState.GRACE:
        return {}
    return {"second_factor_grace_ends_at": policy.grace_ends_at(user)}
