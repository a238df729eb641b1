#include "train/tiny_corpus.hpp"

#include "corpus/builder.hpp"
#include "support.hpp"

namespace dubkit::test {

const std::string& tiny_corpus() {
  static const std::string dir = [] {
    CorpusOptions c;
    c.out_dir = temp_dir("train_corpus");
    c.hours = 0.02;
    c.speakers = 12;
    c.seed = 4;
    c.rates = {16000, 22050};  // the dubkit-22k preset trains on the second
    build_corpus(c);
    return c.out_dir;
  }();
  return dir;
}

}  // namespace dubkit::test
