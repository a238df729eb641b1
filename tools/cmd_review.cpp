// dubkit review
#include <cstdio>
#include <filesystem>
#include <memory>

#include "provenance/trust_store.hpp"
#include "review/review_page.hpp"
#include "tools/commands.hpp"

namespace dubkit::cli {

void register_review(CLI::App& app) {
  struct Opts {
    ReviewOptions r;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  o->r.trust_dir = TrustStore::default_dir();
  auto* cmd = app.add_subcommand("review", "Write a static HTML page to review a dub: both videos in sync, the lines, "
                                           "their spectrograms, the sync timeline and the provenance");
  cmd->add_option("dubbed", o->r.dubbed, "Dubbed MP4 (dubkit dub's output)")->required();
  cmd->add_option("-o,--out", o->r.out_dir, "Folder for index.html, copies of both videos and the line pictures")->required();
  cmd->add_option("--report", o->r.report, "Dub report (default: DUBBED.dub.json)");
  cmd->add_option("--original", o->r.original, "Source video (default: the report's \"video\")");
  cmd->add_option("--trust", o->r.trust_dir, "Trust store the manifest is checked against ($DUBKIT_TRUST_DIR)")
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "Print the result as JSON");
  cmd->footer("The page works offline from the folder (file://) and can be moved with it.\n"
              "Example: dubkit review out/demo/presenter.es.mp4 -o out/demo/review && xdg-open out/demo/review/index.html");
  cmd->callback([o] {
    const ReviewResult res = write_review(o->r);
    if (o->json) {
      print_json({{"index_html", res.index_html}, {"lines", res.lines}, {"provenance", res.provenance_status}});
    } else {
      std::error_code ec;
      const auto abs = std::filesystem::absolute(res.index_html, ec);
      std::printf("%s: %d line(s), provenance %s\n  open file://%s\n", res.index_html.c_str(), res.lines,
                  res.provenance_status.c_str(), (ec ? res.index_html : abs.lexically_normal().string()).c_str());
    }
  });
}

}  // namespace dubkit::cli
