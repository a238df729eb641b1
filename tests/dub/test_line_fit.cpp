// Fitting a line to its slot (dub/line_fit.hpp).
#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "dub/line_fit.hpp"

using namespace dubkit;

TEST_CASE("line fit: fitted, short, borrowed and overflow", "[dub]") {
  const LineFitOptions o;  // stretch 0.8 .. 1.25, gap 0.1 s, borrow
  LineFit f = fit_line(2.0, 2.2, 1.0, o);
  CHECK(f.fit == "fitted");
  CHECK(f.target_seconds == Approx(2.2));
  CHECK(f.stretch == Approx(1.1));
  f = fit_line(1.0, 2.0, 1.0, o);  // would need 2x: spoken at 1.25x, silence after
  CHECK(f.fit == "short");
  CHECK(f.target_seconds == Approx(1.25));
  CHECK(f.available_seconds == Approx(2.0));
  f = fit_line(3.0, 2.0, 1.0, o);  // needs 2.4 s at the fastest; has 2.0 + 0.9
  CHECK(f.fit == "borrowed");
  CHECK(f.target_seconds == Approx(2.4));
  CHECK(f.available_seconds == Approx(2.9));
  CHECK(f.stretch == Approx(0.8));
  f = fit_line(4.0, 2.0, 1.0, o);  // needs 3.2 s
  CHECK(f.fit == "overflow");
  CHECK(f.target_seconds == Approx(3.2));
  LineFitOptions strict = o;
  strict.overflow = OverflowPolicy::Fail;
  CHECK(fit_line(3.0, 2.0, 1.0, strict).fit == "overflow");
  CHECK(fit_line(2.0, 1.6, 0.0, o).fit == "fitted");  // exactly at the bound
}

TEST_CASE("line fit: bad options and durations", "[dub][bad-input]") {
  LineFitOptions o;
  o.min_stretch = 1.5;
  CHECK_THROWS_AS(o.validate(), InvalidArgument);
  o = {};
  o.max_stretch = 0.9;
  CHECK_THROWS_AS(o.validate(), InvalidArgument);
  CHECK_THROWS_AS(fit_line(0.0, 1.0, 0.0, LineFitOptions{}), InvalidArgument);
  CHECK_THROWS_AS(fit_line(1.0, -1.0, 0.0, LineFitOptions{}), InvalidArgument);
}
