"""The shared template pieces pages are built from: pickers, error summary, chart, legend."""

import json
import re

import django_tables2 as tables
import pytest
from django import forms
from django.template import Context, Template
from django.template.loader import render_to_string
from django.test import RequestFactory
from django_tables2 import RequestConfig

from scorecard.charts import Chart


def render(template: str, query: str = "", **context) -> str:
    request = RequestFactory().get(f"/councils/birmingham/?{query}")
    return render_to_string(f"includes/{template}", context, request=request)


def test_the_period_picker_keeps_the_other_parameters_and_marks_the_latest_by_default():
    html = render(
        "period_picker.html", "group=wm&period=2022-23&councils=a&councils=b", periods=["a", "b"]
    )

    assert '<form method="get"' in html
    assert '<label class="label" for="picker-period">Period</label>' in html
    assert 'aria-describedby="picker-period-hint"' in html
    assert '<input type="hidden" name="group" value="wm">' in html
    assert html.count('name="councils"') == 2
    assert 'name="period" value=' not in html  # the select is the only period field
    assert '<option value="b" selected>' in html and '<option value="a">' in html
    assert '<button type="submit"' in html


def test_the_period_picker_marks_the_period_shown():
    html = render("period_picker.html", periods=["2022-23", "2023-24"], selected="2022-23")

    assert '<option value="2022-23" selected>' in html
    assert '<option value="2023-24">' in html


@pytest.mark.django_db
def test_the_group_picker_offers_the_comparator_groups_in_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        html = render("group_picker.html", "period=2023-24", selected="england")

    assert '<input type="hidden" name="period" value="2023-24">' in html
    assert re.search(r'<option value="[\w-]+">West Midlands ADASS</option>', html)
    assert '<option value="england" selected>All councils in England</option>' in html


class PeriodForm(forms.Form):
    period = forms.CharField()
    group = forms.CharField(required=False)

    def clean(self):
        if self.data.get("group") == "nobody":
            raise forms.ValidationError("Choose a group with councils in it.")
        return self.cleaned_data


def test_the_error_summary_links_each_error_to_its_field():
    form = PeriodForm({"period": "", "group": "nobody"})
    form.is_valid()

    html = render("error_summary.html", form=form)

    assert 'role="alert"' in html
    assert "There is a problem" in html
    assert '<li><a href="#id_period">This field is required.</a></li>' in html
    assert "<li>Choose a group with councils in it.</li>" in html


def test_no_error_summary_without_errors():
    assert render("error_summary.html", form=PeriodForm({"period": "2023-24"})).strip() == ""


def test_the_error_summary_also_lists_errors_outside_a_form_and_a_note():
    html = render(
        "error_summary.html",
        form=PeriodForm({"period": "2023-24"}),
        errors=[("councils", "Choose at least two councils to compare.")],
        note="Showing every council instead.",
    )

    assert html.count("<li>") == 1
    assert '<li><a href="#councils">Choose at least two councils to compare.</a></li>' in html
    assert "<p>Showing every council instead.</p>" in html


class FilterForm(forms.Form):
    name = forms.CharField(required=False, help_text="All or part of the name")
    region = forms.ChoiceField(choices=[("", "Any region"), ("WM", "West Midlands")])


def test_a_field_says_its_error_beside_it_and_is_described_by_its_hint_and_error():
    form = FilterForm({"name": "<b>", "region": "XX"})
    form.is_valid()

    name = render("form_field.html", field=form["name"])
    region = render("form_field.html", field=form["region"])

    assert '<label class="label" for="id_name">Name</label>' in name
    assert '<div class="hint" id="id_name-hint">All or part of the name</div>' in name
    assert 'value="&lt;b&gt;" aria-describedby="id_name-hint">' in name
    assert "error-message" not in name
    assert 'class="form-group form-group--error"' in region
    assert '<p class="error-message" id="id_region-error">' in region
    assert (
        '<select class="select" id="id_region" name="region" aria-describedby="id_region-error">'
        in region
    )
    assert '<option value="WM">West Midlands</option>' in region


def test_a_chart_comes_with_its_summary_its_json_and_the_table_behind_it():
    chart = Chart(
        id="chart-trend-3d2a",
        title="Direct payments </script>",
        summary="Highest: Birmingham (39.1).",
        figure={"data": [], "layout": {"title": {"text": "</script><script>alert(1)"}}},
        header=["Council", "2023-24"],
        rows=[["Birmingham", "39.1"]],
    )

    html = render("chart.html", chart=chart)

    assert '<div class="chart" data-chart="chart-trend-3d2a">' in html
    script = re.search(
        r'<script id="chart-trend-3d2a" type="application/json">(.*?)</script>', html
    )
    assert json.loads(script.group(1))["layout"]["title"]["text"].startswith("</script>")
    assert "<script>alert(1)" not in html
    assert "Direct payments &lt;/script&gt;" in html
    assert "<summary" in html and "Table behind the chart" in html
    assert "<td>Birmingham</td><td>39.1</td>" in html


def test_the_legend_says_every_band_and_direction_in_words():
    html = render("legend.html")

    for words in ("1 Upper", "2 Upper middle", "3 Lower middle", "4 Lower", "No band"):
        assert words in html
    for words in ("Improving", "Worsening", "Static", "Not comparable"):
        assert words in html
    assert "linear interpolation" in html and 'href="/about/#method"' in html


class CouncilTable(tables.Table):
    council = tables.Column()
    value = tables.Column(attrs={"td": {"class": "numeric"}})


def test_tables_use_the_house_style_and_say_how_they_are_sorted():
    request = RequestFactory().get("/councils/?sort=-value")
    table = CouncilTable([{"council": "Walsall", "value": 27.9}, {"council": "Dudley", "value": 1}])
    RequestConfig(request).configure(table)

    html = Template("{% load django_tables2 %}{% render_table table %}").render(
        Context({"table": table, "request": request})
    )

    assert '<div class="table-wrapper" role="region" aria-label="Table" tabindex="0">' in html
    assert 'class="table"' in html
    assert re.search(r'<th scope="col" class="[^"]*"\s+aria-sort="descending">', html)
    assert html.count("aria-sort") == 1  # only the sorted column
    assert html.index("Walsall") < html.index("Dudley")
    assert '<td class="numeric">27.9</td>' in html
