from django.shortcuts import render


def region_overview(request):
    return render(request, "scorecard/overview.html", {})


def council_list(request):
    return render(request, "scorecard/overview.html", {})


def council_detail(request, slug):
    return render(request, "scorecard/overview.html", {})


def indicator_detail(request, slug):
    return render(request, "scorecard/overview.html", {})
