from django.http import HttpResponse


def dashboard(request):
    return HttpResponse("")


def healthz(request):
    return HttpResponse("")
