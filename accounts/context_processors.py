def roles(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"role_caseworker": False, "role_central_admin": False, "role_researcher": False}
    return {
        "role_caseworker": user.is_caseworker,
        "role_central_admin": user.sees_all_missions,
        "role_researcher": user.is_researcher,
    }
