#include "provenance/manifest.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>
#include <sodium.h>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "provenance/consent.hpp"

namespace dubkit {

namespace fs = std::filesystem;

namespace {

constexpr char kWavChunk[4] = {'d', 'k', 'm', 'f'};
// dubkit's manifest box UUID (d7b1c0a2-5e4f-4c1b-9a63-2f8e1d0c7b54), drawn at random once.
constexpr unsigned char kBoxUuid[16] = {0xd7, 0xb1, 0xc0, 0xa2, 0x5e, 0x4f, 0x4c, 0x1b,
                                        0x9a, 0x63, 0x2f, 0x8e, 0x1d, 0x0c, 0x7b, 0x54};
constexpr std::size_t kMaxManifestBytes = 16u << 20;
constexpr const char* kSourceTypeBase = "http://cv.iptc.org/newscodes/digitalsourcetype/";

nlohmann::json to_json(const Manifest& m, bool with_signature) {
  nlohmann::json actions = nlohmann::json::array();
  for (const auto& a : m.actions) {
    nlohmann::json j = {{"action", a.action}, {"softwareAgent", a.software_agent}};
    if (!a.digital_source_type.empty()) j["digitalSourceType"] = kSourceTypeBase + a.digital_source_type;
    if (!a.target_language.empty())
      j["parameters"] = {{"sourceLanguage", a.source_language}, {"targetLanguage", a.target_language}};
    actions.push_back(j);
  }
  nlohmann::json ingredients = nlohmann::json::array();
  for (const auto& i : m.ingredients)
    ingredients.push_back({{"title", i.title}, {"relationship", i.relationship}, {"role", i.role}, {"sha256", i.sha256}});
  nlohmann::json models = nlohmann::json::array();
  for (const auto& x : m.models) models.push_back({{"name", x.name}, {"sha256", x.sha256}});
  nlohmann::json payloads = nlohmann::json::array();
  for (std::uint32_t p : m.watermark_payloads) payloads.push_back(payload_hex(p));
  nlohmann::json disclosures = nlohmann::json::array();
  for (const auto& d : m.disclosures) disclosures.push_back({{"territory", d.territory}, {"kind", d.kind}, {"applied", d.applied}});
  nlohmann::json assertions = {{"c2pa.actions", {{"actions", actions}}},
                               {"c2pa.ingredients", ingredients},
                               {"dubkit.models", models},
                               {"dubkit.consent", {{"id", m.consent_id}, {"path", m.consent_path}, {"key_id", m.consent_key_id}}},
                               // wm-2 (issue 22): QIM step 1.7, a half-second block for a tail, the frames' mark.
                               {"dubkit.watermark", {{"scheme", "dubkit-wm-2"}, {"block_seconds", 1}, {"payloads", payloads}}},
                               {"dubkit.disclosure", disclosures}};
  if (m.region)
    assertions["dubkit.region"] = {{"frames", {m.region->first_frame, m.region->last_frame}},
                                   {"box", {m.region->x, m.region->y, m.region->width, m.region->height}}};
  nlohmann::json j = {{"format", Manifest::kFormat},
                      {"version", Manifest::kVersion},
                      {"instance_id", m.instance_id},
                      {"title", m.title},
                      {"mime", m.mime},
                      {"created", m.created},
                      {"claim_generator", m.claim_generator},
                      {"assertions", assertions},
                      {"asset_hash", {{"alg", "sha256"}, {"value", m.asset_sha256}}}};
  if (with_signature) j["signature"] = {{"algorithm", "ed25519"}, {"key_id", m.key_id}, {"value", m.signature}};
  return j;
}

// --- reading JSON strictly -------------------------------------------------------------------

struct Fields {
  std::string source;
  FormatError bad(const std::string& field, const std::string& what) const {
    return FormatError(source + ": manifest: \"" + field + "\" " + what);
  }
  const nlohmann::json& get(const nlohmann::json& o, const char* key, nlohmann::json::value_t type) const {
    if (!o.is_object() || !o.contains(key) || o[key].type() != type) throw bad(key, "is missing or of the wrong type");
    return o[key];
  }
  std::string str(const nlohmann::json& o, const char* key) const {
    const std::string s = get(o, key, nlohmann::json::value_t::string).get<std::string>();
    if (s.size() > 2000) throw bad(key, "is longer than 2000 bytes");
    return s;
  }
  const nlohmann::json& arr(const nlohmann::json& o, const char* key) const {
    const auto& a = get(o, key, nlohmann::json::value_t::array);
    if (a.size() > 100000) throw bad(key, "has more than 100000 entries");
    return a;
  }
  std::string hash(const nlohmann::json& o, const char* key) const {
    const std::string s = str(o, key);
    if (s.size() != 64 || !std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c); }))
      throw bad(key, "must be 64 hex digits");
    return s;
  }
  long integer(const nlohmann::json& v, const char* key) const {
    if (!v.is_number_integer()) throw bad(key, "must hold integers");
    return v.get<long>();
  }
};

// --- containers ------------------------------------------------------------------------------

std::uint32_t le32(const unsigned char* b) { return b[0] | b[1] << 8 | b[2] << 16 | static_cast<std::uint32_t>(b[3]) << 24; }
std::uint32_t be32(const unsigned char* b) { return static_cast<std::uint32_t>(b[0]) << 24 | b[1] << 16 | b[2] << 8 | b[3]; }

enum class Container { wav, mp4, other };

// Where a manifest sits in a file, and what the bytes before it hashed to.
struct Located {
  Container container = Container::other;
  bool structure_ok = false;     // the chunk/box walk ended exactly at the end of the file
  bool manifest_seen = false;    // a manifest chunk/box header was met
  bool manifest_last = false;    // ... and it was the last one, well-formed
  std::uint64_t manifest_offset = 0, manifest_size = 0;  // of the whole chunk/box
  std::string text;              // the manifest's JSON
  std::string problem;
};

class File {
 public:
  explicit File(const std::string& path) : path_(path), f_(path, std::ios::binary) {
    if (!f_) throw IoError(path + ": cannot open");
    f_.seekg(0, std::ios::end);
    size_ = static_cast<std::uint64_t>(f_.tellg());
  }
  std::uint64_t size() const { return size_; }
  bool read(std::uint64_t off, void* out, std::size_t n) {
    if (off + n > size_) return false;
    f_.clear();
    f_.seekg(static_cast<std::streamoff>(off));
    f_.read(static_cast<char*>(out), static_cast<std::streamsize>(n));
    return static_cast<std::size_t>(f_.gcount()) == n;
  }
  // SHA-256 of [0, end) with bytes [4, 8) replaced by `riff_size` when given.
  std::string hash_prefix(std::uint64_t end, const std::optional<std::uint32_t>& riff_size) {
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    std::vector<unsigned char> buf(1 << 16);
    for (std::uint64_t off = 0; off < end;) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), end - off));
      if (!read(off, buf.data(), n)) throw IoError(path_ + ": read error");
      if (riff_size && off == 0 && n >= 8)
        for (int i = 0; i < 4; ++i) buf[4 + i] = static_cast<unsigned char>(*riff_size >> (8 * i));
      crypto_hash_sha256_update(&st, buf.data(), n);
      off += n;
    }
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, h);
    return to_hex(h, sizeof h);
  }

 private:
  std::string path_;
  std::ifstream f_;
  std::uint64_t size_ = 0;
};

Located locate(File& f) {
  Located L;
  unsigned char head[12];
  if (!f.read(0, head, 12)) return L;
  if (std::equal(head, head + 4, "RIFF") && std::equal(head + 8, head + 12, "WAVE")) {
    L.container = Container::wav;
    if (le32(head + 4) + 8ull != f.size()) L.problem = "the RIFF size does not match the file's length";
    std::uint64_t off = 12;
    while (off + 8 <= f.size()) {
      unsigned char h[8];
      f.read(off, h, 8);
      const std::uint64_t n = le32(h + 4), next = off + 8 + n + (n & 1);
      const bool ours = std::equal(h, h + 4, kWavChunk);
      L.manifest_seen |= ours;
      if (next > f.size()) break;
      if (ours) {
        L.manifest_offset = off;
        L.manifest_size = next - off;
        L.manifest_last = next == f.size();
        if (n <= kMaxManifestBytes) {
          L.text.resize(n);
          f.read(off + 8, L.text.data(), n);
        }
        unsigned char pad = 0;
        if (n & 1) f.read(off + 8 + n, &pad, 1);
        if (pad != 0) L.problem = "the manifest chunk's pad byte is not zero";
      }
      off = next;
    }
    L.structure_ok = off == f.size();
    return L;
  }
  if (std::equal(head + 4, head + 8, "ftyp")) {
    L.container = Container::mp4;
    std::uint64_t off = 0;
    while (off + 8 <= f.size()) {
      unsigned char h[8];
      f.read(off, h, 8);
      std::uint64_t n = be32(h), header = 8;
      if (n == 1) {
        unsigned char big[8];
        if (!f.read(off + 8, big, 8)) break;
        n = static_cast<std::uint64_t>(be32(big)) << 32 | be32(big + 4);
        header = 16;
      } else if (n == 0) {
        n = f.size() - off;
      }
      if (n < header || off + n > f.size()) break;
      unsigned char uuid[16];
      const bool ours = std::equal(h + 4, h + 8, "uuid") && n >= header + 16 && f.read(off + header, uuid, 16) &&
                        std::equal(uuid, uuid + 16, kBoxUuid);
      L.manifest_seen |= ours;
      if (ours) {
        L.manifest_offset = off;
        L.manifest_size = n;
        L.manifest_last = off + n == f.size();
        const std::uint64_t len = n - header - 16;
        if (len <= kMaxManifestBytes) {
          L.text.resize(len);
          f.read(off + header + 16, L.text.data(), len);
        }
      }
      off += n;
    }
    L.structure_ok = off == f.size();
    return L;
  }
  return L;
}

}  // namespace

std::string manifest_json(const Manifest& m) { return to_json(m, true).dump(); }
std::string manifest_signing_text(const Manifest& m) { return to_json(m, false).dump(); }
std::string sidecar_path(const std::string& path) { return path + ".manifest.json"; }

const char* to_string(ManifestStatus s) {
  switch (s) {
    case ManifestStatus::valid: return "valid";
    case ManifestStatus::tampered: return "tampered";
    case ManifestStatus::untrusted: return "untrusted";
    case ManifestStatus::missing: return "missing";
  }
  return "?";
}

Manifest parse_manifest(const std::string& json, const std::string& source) {
  if (json.size() > kMaxManifestBytes) throw FormatError(source + ": manifest larger than 16 MiB");
  const auto j = nlohmann::json::parse(json, nullptr, false);
  Fields F{source};
  if (!j.is_object()) throw FormatError(source + ": manifest: not a JSON object");
  if (F.str(j, "format") != Manifest::kFormat) throw F.bad("format", "is not \"dubkit-manifest\"");
  if (!j.contains("version") || j["version"] != Manifest::kVersion) throw F.bad("version", "is not supported (this build reads 1)");
  Manifest m;
  m.instance_id = F.str(j, "instance_id");
  m.title = F.str(j, "title");
  m.mime = F.str(j, "mime");
  m.created = F.str(j, "created");
  m.claim_generator = F.str(j, "claim_generator");
  const auto& as = F.get(j, "assertions", nlohmann::json::value_t::object);
  for (const auto& a : F.arr(F.get(as, "c2pa.actions", nlohmann::json::value_t::object), "actions")) {
    ManifestAction x{F.str(a, "action"), "", F.str(a, "softwareAgent"), "", ""};
    if (a.contains("digitalSourceType")) {
      const std::string t = F.str(a, "digitalSourceType");
      if (t.rfind(kSourceTypeBase, 0) != 0) throw F.bad("digitalSourceType", "is not an IPTC digital source type");
      x.digital_source_type = t.substr(std::string(kSourceTypeBase).size());
    }
    if (a.contains("parameters")) {
      const auto& p = F.get(a, "parameters", nlohmann::json::value_t::object);
      x.source_language = F.str(p, "sourceLanguage");
      x.target_language = F.str(p, "targetLanguage");
    }
    m.actions.push_back(x);
  }
  for (const auto& i : F.arr(as, "c2pa.ingredients")) {
    ManifestIngredient x{F.str(i, "title"), F.str(i, "relationship"), F.str(i, "role"), F.hash(i, "sha256")};
    // A file name as shown (never opened): any characters but '/' and NUL (issue 22, item 15: a
    // backslash or a TAB in an input's name made its genuine output "tampered").
    if (x.title.empty() || x.title.size() > 255 || x.title == "." || x.title == ".." ||
        x.title.find_first_of(std::string("/\0", 2)) != std::string::npos)
      throw F.bad("title", "must be a file name (1 to 255 bytes, no '/' or NUL, not '.' or '..')");
    m.ingredients.push_back(x);
  }
  for (const auto& x : F.arr(as, "dubkit.models")) m.models.push_back({F.str(x, "name"), F.hash(x, "sha256")});
  const auto& c = F.get(as, "dubkit.consent", nlohmann::json::value_t::object);
  m.consent_id = F.str(c, "id");
  m.consent_path = F.str(c, "path");
  m.consent_key_id = F.str(c, "key_id");
  const auto& w = F.get(as, "dubkit.watermark", nlohmann::json::value_t::object);
  for (const auto& p : F.arr(w, "payloads")) {
    if (!p.is_string()) throw F.bad("payloads", "must hold 8-digit hex strings");
    m.watermark_payloads.push_back(payload_from_hex(p.get<std::string>(), source + ": manifest: watermark payload"));
  }
  for (const auto& d : F.arr(as, "dubkit.disclosure"))
    m.disclosures.push_back({F.str(d, "territory"), F.str(d, "kind"), F.get(d, "applied", nlohmann::json::value_t::boolean).get<bool>()});
  if (as.contains("dubkit.region")) {
    const auto& r = F.get(as, "dubkit.region", nlohmann::json::value_t::object);
    const auto& fr = F.arr(r, "frames");
    const auto& box = F.arr(r, "box");
    if (fr.size() != 2 || box.size() != 4) throw F.bad("dubkit.region", "must hold 2 frames and a 4-number box");
    ManifestRegion g;
    g.first_frame = F.integer(fr[0], "frames");
    g.last_frame = F.integer(fr[1], "frames");
    long b[4];
    for (int i = 0; i < 4; ++i) b[i] = F.integer(box[i], "box");
    g.x = static_cast<int>(b[0]), g.y = static_cast<int>(b[1]), g.width = static_cast<int>(b[2]), g.height = static_cast<int>(b[3]);
    m.region = g;
  }
  const auto& h = F.get(j, "asset_hash", nlohmann::json::value_t::object);
  if (F.str(h, "alg") != "sha256") throw F.bad("alg", "must be sha256");
  m.asset_sha256 = F.hash(h, "value");
  const auto& s = F.get(j, "signature", nlohmann::json::value_t::object);
  if (F.str(s, "algorithm") != "ed25519") throw F.bad("algorithm", "must be ed25519");
  m.key_id = F.str(s, "key_id");
  m.signature = F.str(s, "value");
  return m;
}

void embed_manifest(const std::string& path, Manifest& m, const SigningKey& key) {
  std::uint64_t size = 0;
  Container container;
  {
    File f(path);
    const Located L = locate(f);
    if (L.container == Container::other) throw FormatError(path + ": manifests are embedded in WAV or MP4 files only");
    if (!L.structure_ok || !L.problem.empty()) throw FormatError(path + ": the file's structure is broken; not signing it");
    if (L.manifest_seen) throw FormatError(path + ": already carries a manifest");
    m.asset_sha256 = f.hash_prefix(f.size(), std::nullopt);
    size = f.size();
    container = L.container;
  }
  m.key_id = key.public_key.id();
  m.signature = sign_message(key, manifest_signing_text(m));
  const std::string text = manifest_json(m);

  std::string block;
  auto put_le = [&](std::uint32_t v) { for (int i = 0; i < 4; ++i) block.push_back(static_cast<char>(v >> (8 * i))); };
  auto put_be = [&](std::uint32_t v) { for (int i = 3; i >= 0; --i) block.push_back(static_cast<char>(v >> (8 * i))); };
  if (container == Container::wav) {
    block.append(kWavChunk, 4);
    put_le(static_cast<std::uint32_t>(text.size()));
    block += text;
    if (text.size() & 1) block.push_back('\0');
    if (size + block.size() - 8 > 0xffffffffull) throw FormatError(path + ": too large for a RIFF file with a manifest");
  } else {
    put_be(static_cast<std::uint32_t>(8 + 16 + text.size()));
    block += "uuid";
    block.append(reinterpret_cast<const char*>(kBoxUuid), 16);
    block += text;
  }
  AtomicOutput out(path);
  fs::copy_file(path, out.temp_path(), fs::copy_options::overwrite_existing);
  {
    std::fstream f(out.temp_path(), std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(0, std::ios::end);
    f.write(block.data(), static_cast<std::streamsize>(block.size()));
    if (container == Container::wav) {
      const std::uint32_t riff = static_cast<std::uint32_t>(size + block.size() - 8);
      const char b[4] = {static_cast<char>(riff), static_cast<char>(riff >> 8), static_cast<char>(riff >> 16),
                         static_cast<char>(riff >> 24)};
      f.seekp(4);
      f.write(b, 4);
    }
    if (!f.flush()) throw IoError(path + ": cannot write the manifest");
  }
  out.commit();
  write_file_atomic(sidecar_path(path), text);
}

ManifestVerification verify_manifest(const std::string& path, const TrustStore& trust) {
  ManifestVerification v;
  auto tampered = [&](const std::string& why) {
    v.status = ManifestStatus::tampered;
    v.detail = why;
    return v;
  };
  File f(path);
  const Located L = locate(f);
  std::error_code ec;
  const bool has_sidecar = fs::is_regular_file(sidecar_path(path), ec);
  std::string sidecar;
  if (has_sidecar) sidecar = read_small_file(sidecar_path(path), kMaxManifestBytes, "manifest sidecar");

  if (!L.manifest_seen) {
    if (!has_sidecar) {
      v.detail = L.container == Container::other ? "not a WAV or MP4 file, and no sidecar manifest: provenance unknown"
                                                 : "no manifest in the file and no sidecar: provenance unknown";
      return v;
    }
    return tampered("the sidecar names a manifest the file does not carry (removed or damaged)");
  }
  if (!L.structure_ok || !L.manifest_last || !L.problem.empty())
    return tampered(L.problem.empty() ? "the file's structure changed after signing" : L.problem);
  Manifest m;
  try {
    m = parse_manifest(L.text, path);
  } catch (const FormatError& e) {
    return tampered(std::string("the embedded manifest does not parse: ") + e.what());
  }
  if (manifest_json(m) != L.text) return tampered("the embedded manifest's bytes are not the ones signed");
  v.manifest = m;
  if (has_sidecar && sidecar != L.text) return tampered("the sidecar differs from the embedded manifest");
  std::optional<std::uint32_t> riff;
  if (L.container == Container::wav) riff = static_cast<std::uint32_t>(f.size() - L.manifest_size - 8);
  if (f.hash_prefix(L.manifest_offset, riff) != m.asset_sha256) return tampered("the file's content changed after signing");
  const NamedPublicKey* k = trust.find(m.key_id);
  if (!k) {
    v.status = ManifestStatus::untrusted;
    v.detail = "signed by key " + m.key_id + ", which is not in the trust store " + trust.dir();
    return v;
  }
  if (!verify_message(k->key, manifest_signing_text(m), m.signature)) return tampered("the signature does not match the manifest");
  v.status = ManifestStatus::valid;
  v.signer = k->name;
  v.detail = "signed by " + k->name + " (" + m.key_id + ")";
  return v;
}

}  // namespace dubkit
