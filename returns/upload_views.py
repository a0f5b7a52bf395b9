"""Uploading a return (and, for regional leads, an official ASCOF file) as pages: the template
download, the upload form, the preview and its confirmation. What a file does is
`returns.upload`'s; who may is `returns.workflow`'s. Nothing is written until a preview is
confirmed, and an upload with a problem keeps no file.
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.management.base import CommandError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from councils.models import Area
from indicators.management.commands.import_ascof import _start_year
from indicators.models import Period
from indicators.periods import format_period, parse_period
from returns import upload, workflow
from returns.models import Action, Return, Role
from scorecard.exports import csv_response, xlsx_response
from scorecard.models import current_version

LIMIT = f"{upload.MAX_BYTES // 1024 // 1024} MB"


class ReturnFileForm(forms.Form):
    file = forms.FileField(
        label="Upload a file",
        help_text=f"The template, filled in, as CSV (.csv) or Excel (.xlsx): {LIMIT} at most.",
        allow_empty_file=True,  # the reader says what is wrong with it, as for any file
        error_messages={"required": "Choose a file to upload"},
    )


class AscofFileForm(forms.Form):
    file = forms.FileField(
        label="Upload an ASCOF file",
        help_text="An official ASCOF publication as published: CSV (.csv or .csv.gz), "
        f"OpenDocument (.ods) or Excel (.xlsx or .xlsx.gz), {LIMIT} at most.",
        allow_empty_file=True,  # the importer says what is wrong with it, as the command does
        error_messages={"required": "Choose a file to upload"},
    )
    year = forms.CharField(
        label="Year (optional)",
        required=False,
        max_length=20,
        help_text="The financial year, like 2021-22, of a yearly CSV whose file name does not "
        "say it.",
    )

    def clean_year(self):
        text = self.cleaned_data["year"].strip()
        try:
            return _start_year(text) if text else None
        except CommandError as error:
            raise forms.ValidationError(str(error)) from error


def _return_of(request, slug, period):
    """(council, label) of a return the user may upload to, or 404."""
    council = Area.objects.councils().filter(slug=slug).first()
    try:
        label = format_period(*parse_period(period))
    except ValueError:
        raise Http404("No period has that label.") from None
    if council is None or not workflow.may(request.user, Action.UPLOADED, council):
        raise Http404("No return of yours has that address.")
    return council, label


def _state_refusal(request, council, label) -> str:
    """Why the return takes no upload now, or ""."""
    year, quarter = parse_period(label)
    ret = Return.objects.filter(council=council, period__year=year, period__quarter=quarter).first()
    state = ret.state if ret else workflow.NOT_STARTED
    if Action.UPLOADED in workflow.allowed(request.user, council, state):
        return ""
    return (
        f"{council.name}'s return for {label} is {ret.get_state_display().lower()}: only a "
        "return that is not started, a draft or returned takes an upload"
    )


def _file_errors(form) -> list[tuple[str, str]]:
    return [
        (form[name].id_for_label, message)
        for name, messages in form.errors.items()
        for message in messages
    ]


@never_cache
@login_required
def return_template(request, slug, period):
    council, label = _return_of(request, slug, period)
    year, quarter = parse_period(label)
    rows = upload.template_rows(council, year, quarter)
    name = f"return-{council.slug}-{label.replace(' ', '-')}"
    note = "West Midlands ADASS return template"
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            f"{name}.xlsx", upload.HEADER, rows, source_note=note, sheet_title="Return"
        )
    return csv_response(f"{name}.csv", upload.HEADER, rows, source_note=note)


def _return_page(request, council, label, **context):
    context["file_errors"] = [m for at, m in context.get("errors", []) if at == "id_file"]
    return render(
        request,
        "returns/upload.html",
        {
            "council": council,
            "period": label,
            "return_url": reverse("returns:return", args=[council.slug, label]),
            "template_url": reverse("returns:upload_template", args=[council.slug, label]),
            "upload_url": reverse("returns:upload", args=[council.slug, label]),
            "limit": LIMIT,
            **context,
        },
    )


@never_cache
@login_required
def return_upload(request, slug, period):
    council, label = _return_of(request, slug, period)
    form = ReturnFileForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        refusal = _state_refusal(request, council, label)
        if refusal:
            errors.append(("id_file", refusal))
        else:
            try:
                token = upload.store(
                    form.cleaned_data["file"],
                    upload.RETURN_SUFFIXES,
                    kind="return",
                    user=request.user.pk,
                    council=council.pk,
                    period=label,
                )
            except upload.UploadRefused as refused:
                errors.append(("id_file", str(refused)))
            else:
                return _preview_page(request, council, label, token)
    return _return_page(request, council, label, form=form, errors=errors + _file_errors(form))


def _stored(request, token, kind, **meta):
    found = upload.stored(token)
    if found is None:
        raise Http404("No uploaded file has that address: upload it again.")
    path, held = found
    if held.get("kind") != kind or held.get("user") != request.user.pk:
        raise Http404("No uploaded file of yours has that address.")
    if any(held.get(key) != value for key, value in meta.items()):
        raise Http404("No uploaded file of yours has that address.")
    return path, held


def _preview_page(request, council, label, token, refusal=""):
    """The preview of the stored file; a file with problems is deleted (it cannot be
    confirmed), and the page says so."""
    path, held = _stored(request, token, "return", council=council.pk, period=label)
    preview = upload.preview_return(
        request.user, council, Period.objects.for_label(label), path, held["name"]
    )
    problems = preview.all_problems
    if problems:
        upload.discard(token)
    errors = [("preview", refusal)] if refusal else []
    errors += [
        (f"row-{p.row}" if p.row else "preview", preview.where(p) + ": " + p.message)
        for p in problems
    ]
    return _return_page(
        request,
        council,
        label,
        form=ReturnFileForm(),
        preview=preview,
        counts=preview.counts(),
        token="" if problems else token,
        errors=errors,
    )


@never_cache
@login_required
def return_preview(request, slug, period, token):
    council, label = _return_of(request, slug, period)
    if request.method != "POST":
        return _preview_page(request, council, label, token)
    path, held = _stored(request, token, "return", council=council.pk, period=label)
    if request.POST.get("action") == "cancel":
        upload.discard(token)
        return redirect("returns:return", council.slug, label)
    version = request.POST.get("version", "")
    try:
        upload.apply_return(
            request.user,
            council,
            Period.objects.for_label(label),
            path,
            held["name"],
            int(version) if version.isdigit() else -1,
        )
    except upload.UploadErrors:
        return _preview_page(request, council, label, token)
    except workflow.WorkflowError as refused:
        return _preview_page(
            request,
            council,
            label,
            token,
            refusal=f"{refused} The preview below is of the return as it is now: check it "
            "and confirm again.",
        )
    upload.discard(token)
    url = reverse("returns:return", args=[council.slug, label])
    return redirect(f"{url}?done=save")


# An official ASCOF file ----------------------------------------------------------------------


def _regional_lead(request):
    if workflow.role_of(request.user) != Role.REGIONAL_LEAD:
        raise Http404("Only regional leads import ASCOF files.")


def _ascof_page(request, **context):
    context["file_errors"] = [m for at, m in context.get("errors", []) if at == "id_file"]
    return render(
        request,
        "returns/upload_ascof.html",
        {"limit": LIMIT, "form": context.pop("form", AscofFileForm()), **context},
    )


def _ascof_preview(request, token, refusal=""):
    path, held = _stored(request, token, "ascof")
    errors = [("preview", refusal)] if refusal else []
    try:
        lines = upload.preview_ascof(path, held.get("year"))
    except (upload.ImportFailed, ValueError) as failed:
        upload.discard(token)
        messages = getattr(failed, "errors", None) or [str(failed)]
        return _ascof_page(request, errors=errors + [("id_file", m) for m in messages])
    return _ascof_page(
        request,
        report=lines,
        token=token,
        name=held["name"],
        data_version=current_version()[0],
        errors=errors,
    )


@never_cache
@login_required
def ascof_upload(request):
    _regional_lead(request)
    form = AscofFileForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            token = upload.store(
                form.cleaned_data["file"],
                upload.ASCOF_SUFFIXES,
                kind="ascof",
                user=request.user.pk,
                year=form.cleaned_data["year"],
            )
        except upload.UploadRefused as refused:
            errors.append(("id_file", str(refused)))
        else:
            return _ascof_preview(request, token)
    return _ascof_page(request, form=form, errors=errors + _file_errors(form))


@never_cache
@login_required
def ascof_preview(request, token):
    _regional_lead(request)
    if request.method != "POST":
        return _ascof_preview(request, token)
    path, held = _stored(request, token, "ascof")
    if request.POST.get("action") == "cancel":
        upload.discard(token)
        return redirect("returns:ascof_upload")
    if request.POST.get("data_version") != str(current_version()[0]):
        return _ascof_preview(
            request,
            token,
            refusal="Nothing was imported: the data changed after the preview. The preview "
            "below is of the data as it is now: check it and confirm again.",
        )
    try:
        lines, changed = upload.apply_ascof(path, held.get("year"))
    except (upload.ImportFailed, ValueError):
        return _ascof_preview(request, token)
    upload.discard(token)
    done = (
        f"Imported: {changed} values changed."
        if changed
        else ("No changes: the data was already up to date.")
    )
    return _ascof_page(request, report=lines, done=done, name=held["name"])
