"""Posting an admin change form back as a person would, for tests and the page benchmark."""


def admin_form_data(response) -> dict:
    """What the admin change form in `response` (with its inlines) would post back as it
    stands. The response must come from a test client, which keeps the template context."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is not None:
                data[form.add_prefix(name)] = value
    return data
