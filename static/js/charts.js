/*
 * Draw every chart on the page. Each <div data-chart="ID"> is drawn from the figure JSON in
 * <script type="application/json" id="ID"> (Django's json_script), so pages carry no inline
 * script. Without JavaScript, or if a figure fails, the fallback text and the table behind
 * the chart stay.
 */
(function () {
  "use strict";

  // No mode bar: it covered the title on a phone, and the table behind each chart has the figures.
  var CONFIG = { responsive: true, displaylogo: false, displayModeBar: false };

  function draw(element) {
    var source = document.getElementById(element.getAttribute("data-chart"));
    if (!source || typeof window.Plotly === "undefined") {
      return;
    }
    try {
      var figure = JSON.parse(source.textContent);
      element.replaceChildren();
      window.Plotly.newPlot(element, figure.data, figure.layout, CONFIG);
      element.setAttribute("data-chart-drawn", "true");
    } catch (error) {
      element.setAttribute("data-chart-error", String(error));
    }
  }

  function drawAll() {
    document.querySelectorAll("[data-chart]").forEach(draw);
  }

  // A printed page is narrower than the screen: fit the charts to it, then back.
  function resizeAll() {
    document.querySelectorAll("[data-chart-drawn]").forEach(function (element) {
      window.Plotly.Plots.resize(element);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);
})();
