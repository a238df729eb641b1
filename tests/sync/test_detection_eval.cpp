// ROC, AUC, EER and the per-manipulation evaluation of `dubkit sync eval`, on tables whose
// answers are worked out by hand in the comments.
#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "sync/detection_eval.hpp"

using namespace dubkit;

TEST_CASE("roc: separated, identical and interleaved scores", "[sync][eval]") {
  const RocCurve perfect = roc_curve({3, 4, 5}, {0, 1, 2});
  CHECK(perfect.auc == Approx(1.0));
  CHECK(perfect.eer == Approx(0.0));
  CHECK(perfect.eer_threshold == Approx(3.0));  // accept 3 and above: every real, no fake
  CHECK(perfect.fpr.front() == 0);
  CHECK(perfect.tpr.back() == 1);
  CHECK(perfect.fpr.back() == 1);

  const RocCurve tied = roc_curve({1, 1}, {1, 1, 1});
  CHECK(tied.auc == Approx(0.5));  // ties count half
  CHECK(tied.eer == Approx(0.5));

  // real {1, 3}, fake {0, 2}: pairs (1>0), (1<2), (3>0), (3>2): AUC 3/4. At threshold 3 the
  // false reject is 1/2 and false accept 0; at 2 both are 1/2: EER 0.5.
  const RocCurve mixed = roc_curve({1, 3}, {0, 2});
  CHECK(mixed.auc == Approx(0.75));
  CHECK(mixed.eer == Approx(0.5));
  CHECK(mixed.eer_threshold == Approx(2.0));

  // Reversed: the score ranks fakes higher.
  CHECK(roc_curve({0, 1}, {2, 3}).auc == Approx(0.0));
  CHECK_THROWS_AS(roc_curve({}, {1}), InvalidArgument);
}

namespace {

CsvTable labels() {
  return parse_csv(
      "file,label,manipulation,shift_frames\n"
      "o1,real,original,0\n"
      "o2,real,original,0\n"
      "o3,real,original,0\n"
      "s1,fake,shift,5\n"
      "s2,fake,shift,5\n"
      "s3,fake,shift,-5\n"
      "w1,fake,swap,0\n"
      "w2,fake,swap,0\n"
      "d1,fake,dub,0\n",
      "labels.csv");
}

// Scores (confidence_at_zero): real 0.5 0.6 0.7; shift+5 0.1 0.2 (both estimated at 5, one at 4);
// shift-5 unscored; swap 0.55 0.3; dub 0.65. lse_d runs the other way for the same order.
CsvTable results() {
  return parse_csv(
      "file,status,offset,confidence_at_zero,lse_d,lse_c\n"
      "o1,ok,0,0.5,7.5,1\n"
      "o2,ok,1,0.6,7.4,1\n"
      "o3,ok,0,0.7,7.3,1\n"
      "s1,ok,5,0.1,7.9,1\n"
      "s2,ok,4,0.2,7.8,1\n"
      "s3,no_face,,,,\n"
      "w1,ok,0,0.55,7.45,1\n"
      "w2,ok,2,0.3,7.7,1\n"
      "d1,ok,0,0.65,7.35,1\n"
      "extra,ok,0,0.9,7,1\n",
      "results.csv");
}

const DetectionGroup& group(const DetectionEval& e, const std::string& name) {
  for (const auto& g : e.groups)
    if (g.name == name) return g;
  FAIL("no group " << name);
  throw 0;
}

}  // namespace

TEST_CASE("detection eval: groups, thresholds and offset accuracy", "[sync][eval]") {
  const DetectionEval e = evaluate_detection(labels(), "labels.csv", results(), "results.csv");
  CHECK(e.real == 3);
  CHECK(e.unlabelled == 1);
  CHECK(e.missing == 0);
  std::vector<std::string> names;
  for (const auto& g : e.groups) names.push_back(g.name);
  CHECK(names == std::vector<std::string>{"all", "shift", "swap", "dub", "shift+5"});  // shift-5 has no score
  CHECK(group(e, "shift").unscored_fake == 1);
  CHECK(group(e, "shift").roc.auc == Approx(1.0));
  // swap {0.55, 0.3} against real {0.5, 0.6, 0.7}: pairs won 2 + 3 of 6 -> 5/6.
  CHECK(group(e, "swap").roc.auc == Approx(5.0 / 6));
  // dub 0.65 beats 0.5 and 0.6: real wins 1 of 3.
  CHECK(group(e, "dub").roc.auc == Approx(1.0 / 3));
  // all fakes {0.1, 0.2, 0.55, 0.3, 0.65}: real wins 3+3 (0.1, 0.2), 3 (0.3), 2 (0.55), 1 (0.65) of 15.
  CHECK(group(e, "all").roc.auc == Approx(12.0 / 15));
  // Threshold: false reject minus false accept is 1/3 - 1/5 accepting from 0.6 and 1/3 - 2/5
  // from 0.55, so the rates cross on that step: threshold 0.55, EER 1/5 + (2/15)/(3/15) * 1/5.
  CHECK(e.threshold == Approx(0.55));
  CHECK(group(e, "all").roc.eer == Approx(1.0 / 3));
  // Offsets: originals 2 of 3 exact, 3 of 3 within 1; shift +5 1 of 2 exact, 2 within 1; -5 unscored.
  REQUIRE(e.offsets.size() == 3);
  CHECK(e.offsets[0].shift == -5);
  CHECK(e.offsets[0].scored == 0);
  CHECK(e.offsets[0].exact == 0);
  CHECK(e.offsets[1].shift == 0);
  CHECK(e.offsets[1].exact == Approx(2.0 / 3));
  CHECK(e.offsets[1].within_1 == Approx(1.0));
  CHECK(e.offsets[2].exact == Approx(0.5));
  CHECK(e.offsets[2].within_1 == Approx(1.0));
  const std::string md = detection_markdown(e);
  CHECK_THAT(md, Catch::Contains("| swap | 3 | 2 | 0 | 0.833 |"));
  CHECK_THAT(md, Catch::Contains("| 0.4250 |"));  // the swapped clips' mean score, (0.55 + 0.3) / 2
  CHECK(e.mean_real == Approx(0.6));
  CHECK_THAT(md, Catch::Contains("| +5 | 2 | 2 | 0.500 | 1.000 |"));
}

TEST_CASE("detection eval: a given threshold and a lower-is-better score", "[sync][eval]") {
  DetectionEvalOptions o;
  o.score = "lse_d";
  o.has_threshold = true;
  o.threshold = 7.42;  // accept LSE-D <= 7.42: o2, o3 and d1
  const DetectionEval e = evaluate_detection(labels(), "l", results(), "r", o);
  CHECK(e.threshold == Approx(7.42));
  CHECK(group(e, "swap").roc.auc == Approx(5.0 / 6));  // the same ranking as confidence_at_zero
  const DetectionGroup& dub = group(e, "dub");
  CHECK(dub.real_accepted == Approx(2.0 / 3));
  CHECK(dub.fake_rejected == Approx(0.0));
  CHECK(dub.accuracy == Approx(2.0 / 4));
  CHECK(dub.mean_fake == Approx(7.35));  // reported in LSE-D's own units, not negated
  CHECK(e.mean_real == Approx(7.4));
}

TEST_CASE("detection eval: bad tables name the file, line and value", "[sync][eval]") {
  const CsvTable l = labels(), r = results();
  CHECK_THROWS_WITH(evaluate_detection(parse_csv("file,label,manipulation,shift_frames\no1,maybe,original,0\n", "l.csv"),
                                       "l.csv", r, "r.csv"),
                    Catch::Contains("l.csv, line 2") && Catch::Contains("maybe"));
  CHECK_THROWS_WITH(evaluate_detection(parse_csv("file,label,manipulation,shift_frames\no1,real,original,1.5\n", "l.csv"),
                                       "l.csv", r, "r.csv"),
                    Catch::Contains("1.5"));
  CHECK_THROWS_WITH(evaluate_detection(l, "l.csv", parse_csv("file,status,offset,confidence_at_zero\no1,ok,0,high\n", "r.csv"),
                                       "r.csv"),
                    Catch::Contains("r.csv, line 2") && Catch::Contains("high"));
  CHECK_THROWS_WITH(evaluate_detection(l, "l.csv", parse_csv("file,status\n", "r.csv"), "r.csv"),
                    Catch::Contains("no column 'offset'"));
  CHECK_THROWS_WITH(evaluate_detection(l, "l.csv", parse_csv("file,status,offset,confidence_at_zero\no1,ok,0,1\no1,ok,0,1\n", "r.csv"),
                                       "r.csv"),
                    Catch::Contains("twice"));
  DetectionEvalOptions bad;
  bad.score = "offset";
  CHECK_THROWS_AS(evaluate_detection(l, "l", r, "r", bad), InvalidArgument);
  // No real clip with a score.
  CHECK_THROWS_WITH(evaluate_detection(l, "l", parse_csv("file,status,offset,confidence_at_zero\ns1,ok,5,0.1\n", "r"), "r"),
                    Catch::Contains("no real clip"));
}

TEST_CASE("detection eval: an ok row without the chosen score is counted, not ranked", "[sync][eval]") {
  const CsvTable l = parse_csv("file,label,manipulation,shift_frames\na,real,original,0\nb,real,original,0\nc,fake,swap,0\n", "l");
  const CsvTable r = parse_csv("file,status,offset,confidence_at_zero\na,ok,0,0.4\nb,ok,3,\nc,ok,9,0.1\n", "r");
  const DetectionEval e = evaluate_detection(l, "l", r, "r");
  CHECK(e.real == 2);
  CHECK(e.unscored_real == 1);
  REQUIRE(e.groups.size() == 2);
  CHECK(e.groups[0].real == 1);
  CHECK(e.groups[0].roc.auc == Approx(1.0));
  // Without a score there is no offset either: the unscored original is a miss.
  REQUIRE(e.offsets.size() == 1);
  CHECK(e.offsets[0].scored == 1);
  CHECK(e.offsets[0].exact == Approx(0.5));
}
