#include "sync/detection_eval.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <set>
#include <unordered_map>

#include "core/error.hpp"

namespace dubkit {
namespace {

double parse_number(const std::string& s, const std::string& where) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != s.size() || !std::isfinite(v)) throw FormatError(where + ": '" + s + "' is not a finite number");
  return v;
}

int parse_int(const std::string& s, const std::string& where) {
  const double v = parse_number(s, where);
  if (v != std::round(v) || std::abs(v) > 1e6) throw FormatError(where + ": '" + s + "' is not a whole number of frames");
  return static_cast<int>(v);
}

struct Item {
  bool real = false;
  std::string manipulation;
  int shift = 0;
  bool scored = false;
  double score = 0;
  int offset = 0;
};

}  // namespace

std::string shift_name(int shift) { return std::string("shift") + (shift >= 0 ? "+" : "") + std::to_string(shift); }

RocCurve roc_curve(const std::vector<double>& pos, const std::vector<double>& neg) {
  if (pos.empty() || neg.empty()) throw InvalidArgument("ROC: needs at least one real and one fake score");
  std::vector<std::pair<double, bool>> all;  // score, is positive
  for (double v : pos) all.emplace_back(v, true);
  for (double v : neg) all.emplace_back(v, false);
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  RocCurve r;
  r.fpr.push_back(0);
  r.tpr.push_back(0);
  r.thresholds.push_back(INFINITY);
  // One point per distinct score, accepting everything at or above it; the area by trapezoids
  // is the Mann-Whitney statistic with ties counted half.
  long tp = 0, fp = 0;
  const double P = static_cast<double>(pos.size()), N = static_cast<double>(neg.size());
  for (std::size_t i = 0; i < all.size();) {
    const double s = all[i].first;
    for (; i < all.size() && all[i].first == s; ++i) (all[i].second ? tp : fp)++;
    r.fpr.push_back(fp / N);
    r.tpr.push_back(tp / P);
    r.thresholds.push_back(s);
    const std::size_t k = r.fpr.size() - 1;
    r.auc += (r.fpr[k] - r.fpr[k - 1]) * (r.tpr[k] + r.tpr[k - 1]) / 2;
  }
  // Equal error: false reject (1 - tpr) meets false accept (fpr) on the segment where their
  // difference changes sign; linear between the two points.
  for (std::size_t k = 1; k < r.fpr.size(); ++k) {
    const double d0 = (1 - r.tpr[k - 1]) - r.fpr[k - 1], d1 = (1 - r.tpr[k]) - r.fpr[k];
    if (d0 >= 0 && d1 <= 0) {
      const double a = d0 == d1 ? 0 : d0 / (d0 - d1);
      r.eer = r.fpr[k - 1] + a * (r.fpr[k] - r.fpr[k - 1]);
      r.eer_threshold = r.thresholds[k];
      break;
    }
  }
  return r;
}

DetectionEval evaluate_detection(const CsvTable& labels, const std::string& lsrc, const CsvTable& results,
                                 const std::string& rsrc, const DetectionEvalOptions& o) {
  static const std::set<std::string> kScores = {"confidence_at_zero", "lse_c", "lse_d", "confidence"};
  if (!kScores.count(o.score))
    throw InvalidArgument("sync eval: --score must be confidence_at_zero, lse_c, lse_d or confidence, not '" + o.score + "'");
  const std::size_t l_file = labels.column("file", lsrc), l_label = labels.column("label", lsrc),
                    l_manip = labels.column("manipulation", lsrc), l_shift = labels.column("shift_frames", lsrc);
  const std::size_t r_file = results.column("file", rsrc), r_status = results.column("status", rsrc),
                    r_offset = results.column("offset", rsrc), r_score = results.column(o.score, rsrc);
  const double sign = o.score == "lse_d" ? -1 : 1;  // a smaller distance is more in sync

  std::unordered_map<std::string, std::size_t> result_row;
  for (std::size_t i = 0; i < results.rows.size(); ++i) {
    const std::string& f = results.rows[i][r_file];
    if (!result_row.emplace(f, i).second)
      throw FormatError(rsrc + ", line " + std::to_string(results.lines[i]) + ": '" + f + "' appears twice");
  }
  DetectionEval e;
  e.score = o.score;
  std::vector<Item> items;
  std::set<std::string> labelled;
  for (std::size_t i = 0; i < labels.rows.size(); ++i) {
    const auto& row = labels.rows[i];
    const std::string where = lsrc + ", line " + std::to_string(labels.lines[i]);
    if (!labelled.insert(row[l_file]).second) throw FormatError(where + ": '" + row[l_file] + "' appears twice");
    Item it;
    if (row[l_label] != "real" && row[l_label] != "fake")
      throw FormatError(where + ": label must be real or fake, not '" + row[l_label] + "'");
    it.real = row[l_label] == "real";
    it.manipulation = row[l_manip];
    if (it.manipulation.empty()) throw FormatError(where + ": empty manipulation");
    it.shift = parse_int(row[l_shift], where + ", shift_frames");
    const auto r = result_row.find(row[l_file]);
    if (r == result_row.end()) {
      ++e.missing;
    } else {
      const auto& res = results.rows[r->second];
      const std::string rwhere = rsrc + ", line " + std::to_string(results.lines[r->second]);
      // An ok row may lack this score (confidence_at_zero when no window has audio at offset 0).
      if (res[r_status] == "ok" && !res[r_score].empty()) {
        it.scored = true;
        it.score = sign * parse_number(res[r_score], rwhere + ", " + o.score);
        it.offset = parse_int(res[r_offset], rwhere + ", offset");
      }
    }
    items.push_back(it);
  }
  for (const auto& row : results.rows) e.unlabelled += labelled.count(row[r_file]) ? 0 : 1;

  std::vector<double> real_scores;
  std::map<std::string, std::vector<const Item*>> fakes;  // group -> items
  std::map<std::string, int> shift_of;                    // the per-shift groups' shifts
  std::vector<std::string> order;  // "all" first: every fake's first group
  for (const Item& it : items) {
    if (it.real) {
      ++e.real;
      if (it.scored) real_scores.push_back(it.score);
      else ++e.unscored_real;
      continue;
    }
    std::vector<std::string> groups = {"all"};
    if (it.manipulation != "all") groups.push_back(it.manipulation);
    if (it.manipulation == "shift") {
      groups.push_back(shift_name(it.shift));
      shift_of[groups.back()] = it.shift;
    }
    for (const std::string& g : groups) {
      if (!fakes.count(g)) order.push_back(g);
      fakes[g].push_back(&it);
    }
  }
  if (real_scores.empty()) throw InvalidArgument("sync eval: no real clip has a score (" + lsrc + ", " + rsrc + ")");
  if (fakes["all"].empty()) throw InvalidArgument("sync eval: " + lsrc + " labels no fake clip");
  // Groups: all, then manipulations in order of appearance, shifts by value.
  if (order.size() > 1) std::stable_sort(order.begin() + 1, order.end(), [&](const std::string& a, const std::string& b) {
    const auto sa = shift_of.find(a), sb = shift_of.find(b);
    if ((sa == shift_of.end()) != (sb == shift_of.end())) return sb != shift_of.end();  // per-shift groups last
    return sa != shift_of.end() && sa->second < sb->second;
  });

  auto negatives = [&](const std::string& g, long* unscored) {
    std::vector<double> v;
    for (const Item* it : fakes[g]) {
      if (it->scored) v.push_back(it->score);
      else ++*unscored;
    }
    return v;
  };
  long ignored = 0;
  const std::vector<double> all_fake = negatives("all", &ignored);
  if (all_fake.empty()) throw InvalidArgument("sync eval: no fake clip has a score");
  e.threshold_given = o.has_threshold;
  // Compared in the ranking's direction (lse_d negated), reported in the column's own units.
  const double thr = o.has_threshold ? sign * o.threshold : roc_curve(real_scores, all_fake).eer_threshold;
  e.threshold = sign * thr;
  e.mean_real = sign * std::accumulate(real_scores.begin(), real_scores.end(), 0.0) / real_scores.size();
  for (const std::string& g : order) {
    DetectionGroup d;
    d.name = g;
    d.per_shift = shift_of.count(g) > 0;
    d.real = static_cast<long>(real_scores.size());
    const std::vector<double> neg = negatives(g, &d.unscored_fake);
    d.fake = static_cast<long>(neg.size());
    if (neg.empty()) continue;
    d.roc = roc_curve(real_scores, neg);
    long accepted = 0, rejected = 0;
    for (double v : real_scores) accepted += v >= thr;
    for (double v : neg) rejected += v < thr;
    d.real_accepted = double(accepted) / d.real;
    d.mean_fake = sign * std::accumulate(neg.begin(), neg.end(), 0.0) / d.fake;
    d.fake_rejected = double(rejected) / d.fake;
    d.accuracy = double(accepted + rejected) / (d.real + d.fake);
    e.groups.push_back(std::move(d));
  }
  // Offset accuracy per true shift: originals and shifted clips.
  std::map<int, OffsetAccuracy> by_shift;
  for (const Item& it : items) {
    if (!(it.real && it.manipulation == "original") && it.manipulation != "shift") continue;
    OffsetAccuracy& a = by_shift[it.shift];
    a.shift = it.shift;
    ++a.clips;
    if (!it.scored) continue;
    ++a.scored;
    a.exact += it.offset == it.shift;
    a.within_1 += std::abs(it.offset - it.shift) <= 1;
  }
  for (auto& [shift, a] : by_shift) {
    a.exact /= a.clips;
    a.within_1 /= a.clips;
    e.offsets.push_back(a);
  }
  return e;
}

std::string detection_markdown(const DetectionEval& e) {
  std::string out;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "Score: `%s` (higher = more in sync%s), mean %.4f over the real clips. Threshold %.4f (%s).\n\n"
                "| real vs | real | fake | unscored fake | AUC | EER | accuracy | real accepted | fake rejected | fake mean |\n"
                "|---|---|---|---|---|---|---|---|---|---|\n",
                e.score.c_str(), e.score == "lse_d" ? ", so LSE-D is ranked negated" : "", e.mean_real, e.threshold,
                e.threshold_given ? "given" : "the equal-error threshold of real against all fakes");
  out += buf;
  for (const DetectionGroup& g : e.groups) {
    std::snprintf(buf, sizeof buf, "| %s | %ld | %ld | %ld | %.3f | %.3f | %.3f | %.3f | %.3f | %.4f |\n", g.name.c_str(),
                  g.real, g.fake, g.unscored_fake, g.roc.auc, g.roc.eer, g.accuracy, g.real_accepted, g.fake_rejected,
                  g.mean_fake);
    out += buf;
  }
  if (e.offsets.empty()) return out;
  out += "\n| true shift (frames) | clips | scored | offset exact | within 1 frame |\n|---|---|---|---|---|\n";
  for (const OffsetAccuracy& a : e.offsets) {
    std::snprintf(buf, sizeof buf, "| %+d | %ld | %ld | %.3f | %.3f |\n", a.shift, a.clips, a.scored, a.exact, a.within_1);
    out += buf;
  }
  return out;
}

}  // namespace dubkit
