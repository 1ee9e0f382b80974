#include "scenario/svg_chart.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "runtime/check.h"

namespace saludo::scenario {
namespace {

constexpr double kLeft = 70, kRight = 110, kTop = 24, kBottom = 42;

std::string Num(double v) { return absl::StrFormat("%.1f", v); }

// About eight ticks at 1, 2 or 5 times a power of ten (linear), or at each
// power of ten (log).
std::vector<double> NiceTicks(const ChartAxis& a) {
  std::vector<double> ticks;
  if (a.log) {
    for (double t = std::pow(10, std::floor(std::log10(a.lo))); t <= a.hi;
         t *= 10) {
      if (t >= a.lo) ticks.push_back(t);
    }
    return ticks;
  }
  const double raw = (a.hi - a.lo) / 8;
  const double power = std::pow(10, std::floor(std::log10(raw)));
  double step = power;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * power;
    if (step >= raw) break;
  }
  for (double t = std::ceil(a.lo / step) * step; t <= a.hi + step * 1e-9;
       t += step) {
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0 : t);
  }
  return ticks;
}

std::string PlainLabel(double v) {
  if (v == std::floor(v) && std::abs(v) < 1e12) return absl::StrCat(v);
  return absl::StrFormat("%g", v);
}

}  // namespace

std::string HtmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string SecondsLabel(double seconds) {
  return absl::FormatDuration(
      absl::Nanoseconds(std::llround(seconds * 1e9)));
}

SvgChart::SvgChart(std::string name, std::string title, ChartAxis x,
                   ChartAxis y, int height)
    : name_(std::move(name)),
      title_(std::move(title)),
      x_(std::move(x)),
      y_(std::move(y)),
      height_(height) {
  SALUDO_CHECK(x_.hi > x_.lo && y_.hi > y_.lo);
  SALUDO_CHECK(!x_.log || x_.lo > 0);
  SALUDO_CHECK(!y_.log || y_.lo > 0);
}

double SvgChart::X(double v) const {
  const double span = kWidth - kLeft - kRight;
  const double f = x_.log ? (std::log(std::max(v, x_.lo)) - std::log(x_.lo)) /
                                (std::log(x_.hi) - std::log(x_.lo))
                          : (v - x_.lo) / (x_.hi - x_.lo);
  return kLeft + std::clamp(f, 0.0, 1.0) * span;
}

double SvgChart::Y(double v) const {
  const double span = height_ - kTop - kBottom;
  const double f = y_.log ? (std::log(std::max(v, y_.lo)) - std::log(y_.lo)) /
                                (std::log(y_.hi) - std::log(y_.lo))
                          : (v - y_.lo) / (y_.hi - y_.lo);
  return height_ - kBottom - std::clamp(f, 0.0, 1.0) * span;
}

void SvgChart::BeginSeries(const std::string& name, const std::string& color) {
  SALUDO_CHECK(!open_);
  open_ = true;
  series_name_ = name;
  series_color_ = color;
  series_body_.clear();
  series_points_ = 0;
}

void SvgChart::EndSeries() {
  SALUDO_CHECK(open_);
  open_ = false;
  absl::StrAppend(&front_, "<g class=\"series\" data-series=\"",
                  HtmlEscape(series_name_), "\" data-points=\"",
                  series_points_, "\" fill=\"", series_color_, "\" stroke=\"",
                  series_color_, "\">", series_body_, "</g>\n");
  legend_.emplace_back(series_name_, series_color_);
  points_ += series_points_;
}

void SvgChart::Dot(double x, double y, double radius, const std::string& tip,
                   const std::string& id) {
  SALUDO_CHECK(open_);
  absl::StrAppend(&series_body_, "<circle cx=\"", Num(X(x)), "\" cy=\"",
                  Num(Y(y)), "\" r=\"", Num(radius), "\"",
                  id.empty() ? "" : absl::StrCat(" id=\"", id, "\""), "><title>",
                  HtmlEscape(tip), "</title></circle>");
  ++series_points_;
}

void SvgChart::Bar(double x0, double x1, double y0, double y1,
                   const std::string& tip) {
  SALUDO_CHECK(open_);
  const double top = Y(y1), bottom = Y(y0);
  absl::StrAppend(&series_body_, "<rect x=\"", Num(X(x0)), "\" y=\"",
                  Num(top), "\" width=\"",
                  Num(std::max(0.5, X(x1) - X(x0) - 0.5)), "\" height=\"",
                  Num(std::max(0.0, bottom - top)), "\" stroke=\"none\"><title>",
                  HtmlEscape(tip), "</title></rect>");
  ++series_points_;
}

void SvgChart::Line(const std::vector<std::pair<double, double>>& points,
                    bool dashed) {
  SALUDO_CHECK(open_);
  std::string coords;
  for (const auto& [x, y] : points) {
    absl::StrAppend(&coords, coords.empty() ? "" : " ", Num(X(x)), ",",
                    Num(Y(y)));
  }
  absl::StrAppend(&series_body_, "<polyline fill=\"none\" stroke-width=\"2\"",
                  dashed ? " stroke-dasharray=\"6 4\"" : "", " points=\"",
                  coords, "\"/>");
  series_points_ += points.size();
}

void SvgChart::Span(double x0, double x1, const std::string& css_class,
                    const std::string& label, int lane, int lanes) {
  const double plot_top = kTop, plot_bottom = height_ - kBottom;
  double top = plot_top, bottom = plot_bottom;
  if (lanes > 0) {
    const double h = (plot_bottom - plot_top) / lanes;
    top = plot_top + lane * h + 2;
    bottom = top + h - 4;
  }
  absl::StrAppend(&back_, "<g class=\"", css_class, "\"><rect x=\"",
                  Num(X(x0)), "\" y=\"", Num(top), "\" width=\"",
                  Num(std::max(1.0, X(x1) - X(x0))), "\" height=\"",
                  Num(bottom - top), "\"><title>", HtmlEscape(label),
                  "</title></rect>");
  if (lanes == 0 && !label.empty()) {
    absl::StrAppend(&back_, "<text x=\"", Num(X(x0) + 2), "\" y=\"",
                    Num(top + 11), "\">", HtmlEscape(label), "</text>");
  }
  absl::StrAppend(&back_, "</g>\n");
}

void SvgChart::Rule(double y, const std::string& label,
                    const std::string& color) {
  absl::StrAppend(&back_, "<g class=\"rule\"><line x1=\"", kLeft, "\" x2=\"",
                  kWidth - kRight, "\" y1=\"", Num(Y(y)), "\" y2=\"",
                  Num(Y(y)), "\" stroke=\"", color,
                  "\" stroke-dasharray=\"4 3\"/><text x=\"",
                  kWidth - kRight + 4, "\" y=\"", Num(Y(y) + 4), "\" fill=\"",
                  color, "\">", HtmlEscape(label), "</text></g>\n");
}

void SvgChart::LaneLabel(int lane, int lanes, const std::string& text) {
  const double h = (height_ - kTop - kBottom) / lanes;
  absl::StrAppend(&back_, "<text class=\"lane\" x=\"4\" y=\"",
                  Num(kTop + lane * h + h / 2 + 4), "\">", HtmlEscape(text),
                  "</text>\n");
}

std::string SvgChart::Axes() const {
  std::string out;
  const double bottom = height_ - kBottom;
  absl::StrAppend(&out, "<g class=\"axis\"><line x1=\"", kLeft, "\" x2=\"",
                  kWidth - kRight, "\" y1=\"", Num(bottom), "\" y2=\"",
                  Num(bottom), "\"/><line x1=\"", kLeft, "\" x2=\"", kLeft,
                  "\" y1=\"", kTop, "\" y2=\"", Num(bottom), "\"/>");
  auto ticks = [](const ChartAxis& a) {
    if (!a.ticks.empty()) return a.ticks;
    std::vector<std::pair<double, std::string>> out;
    for (double t : NiceTicks(a)) out.emplace_back(t, PlainLabel(t));
    return out;
  };
  for (const auto& [v, text] : ticks(x_)) {
    absl::StrAppend(&out, "<text x=\"", Num(X(v)), "\" y=\"",
                    Num(bottom + 16), "\" text-anchor=\"middle\">",
                    HtmlEscape(text), "</text>");
  }
  for (const auto& [v, text] : ticks(y_)) {
    absl::StrAppend(&out, "<text x=\"", kLeft - 6, "\" y=\"", Num(Y(v) + 4),
                    "\" text-anchor=\"end\">", HtmlEscape(text),
                    "</text><line class=\"grid\" x1=\"", kLeft, "\" x2=\"",
                    kWidth - kRight, "\" y1=\"", Num(Y(v)), "\" y2=\"",
                    Num(Y(v)), "\"/>");
  }
  absl::StrAppend(&out, "<text x=\"", Num((kLeft + kWidth - kRight) / 2),
                  "\" y=\"", height_ - 6, "\" text-anchor=\"middle\">",
                  HtmlEscape(x_.label), "</text><text x=\"12\" y=\"", kTop - 8,
                  "\">", HtmlEscape(y_.label), "</text></g>\n");
  return out;
}

std::string SvgChart::Finish() const {
  SALUDO_CHECK(!open_);
  std::string legend;
  for (const auto& [name, color] : legend_) {
    absl::StrAppend(&legend, "<span class=\"key\"><i style=\"background:",
                    color, "\"></i>", HtmlEscape(name), "</span>");
  }
  return absl::StrCat(
      "<figure class=\"chart\" data-chart=\"", name_, "\" data-series=\"",
      legend_.size(), "\" data-points=\"", points_, "\"><figcaption>",
      HtmlEscape(title_), "</figcaption><svg viewBox=\"0 0 ", kWidth, " ",
      height_, "\" width=\"", kWidth, "\" height=\"", height_,
      "\" xmlns=\"http://www.w3.org/2000/svg\">\n", Axes(), back_, front_,
      "</svg><div class=\"legend\">", legend, "</div></figure>\n");
}

}  // namespace saludo::scenario
