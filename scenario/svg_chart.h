// A small SVG chart writer for the HTML reports (html_report.h): axes
// (linear or log), series of points, bars, lines and shaded spans. Every
// chart is a <figure data-chart=NAME data-series=N data-points=M> and every
// series a <g class="series" data-series=NAME data-points=K>, so a browser
// test can read back what was drawn. Deterministic: the same calls give the
// same bytes.
#ifndef SALUDO_SCENARIO_SVG_CHART_H_
#define SALUDO_SCENARIO_SVG_CHART_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace saludo::scenario {

// Escapes text for HTML and SVG (& < > " ').
std::string HtmlEscape(const std::string& text);

// One axis: values in [lo, hi] onto pixels. A log axis needs lo > 0.
struct ChartAxis {
  double lo = 0, hi = 1;
  bool log = false;
  std::string label;
  // Tick values and their labels (empty: the writer picks nice ones, with
  // `format` for the labels).
  std::vector<std::pair<double, std::string>> ticks;
};

class SvgChart {
 public:
  static constexpr int kWidth = 960;

  // REQUIRES: x.hi > x.lo and y.hi > y.lo (and lo > 0 on a log axis).
  SvgChart(std::string name, std::string title, ChartAxis x, ChartAxis y,
           int height = 300);

  // Series: what is drawn between Begin and End counts as its points.
  // REQUIRES: no series open (Begin) / one open (End).
  void BeginSeries(const std::string& name, const std::string& color);
  void EndSeries();

  // A dot at (x, y); `id` (optional) makes it a link target; `tip` is its
  // tooltip. Counts as a point.
  void Dot(double x, double y, double radius, const std::string& tip,
           const std::string& id = "");
  // A bar from y0 to y1 over [x0, x1). Counts as a point.
  void Bar(double x0, double x1, double y0, double y1, const std::string& tip);
  // A polyline through the points. Counts each as a point.
  void Line(const std::vector<std::pair<double, double>>& points,
            bool dashed = false);
  // A shaded vertical span over [x0, x1) with a label at its top (faults),
  // or a horizontal band in lane `lane` of `lanes` (lanes = 0: full
  // height). Not a series point.
  void Span(double x0, double x1, const std::string& css_class,
            const std::string& label, int lane = 0, int lanes = 0);
  // A horizontal rule at y (a bound, a deadline), labelled at the right.
  void Rule(double y, const std::string& label, const std::string& color);
  // A text label in lane `lane` of `lanes`, at the left margin.
  void LaneLabel(int lane, int lanes, const std::string& text);

  // The <figure> with the legend. REQUIRES: no series open.
  std::string Finish() const;

 private:
  double X(double v) const;
  double Y(double v) const;
  std::string Axes() const;

  const std::string name_, title_;
  const ChartAxis x_, y_;
  const int height_;
  std::string back_;   // spans and rules, under the series
  std::string front_;  // the series' groups
  std::string series_body_, series_name_, series_color_;
  bool open_ = false;
  int64_t series_points_ = 0;
  int64_t points_ = 0;
  std::vector<std::pair<std::string, std::string>> legend_;  // name, color
};

// "1.5s", "250ms", "40us" for a value in seconds.
std::string SecondsLabel(double seconds);

}  // namespace saludo::scenario

#endif  // SALUDO_SCENARIO_SVG_CHART_H_
