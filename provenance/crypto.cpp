#include "provenance/crypto.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>
#include <sodium.h>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace dubkit {

namespace {

void ensure_sodium() {
  // sodium_init is thread-safe and idempotent; a function-local static runs it once anyway.
  static const int rc = sodium_init();
  if (rc < 0) throw Error("libsodium failed to initialise");
}

constexpr const char* kSecretFormat = "dubkit-key";
constexpr const char* kPublicFormat = "dubkit-public-key";

const nlohmann::json& field(const nlohmann::json& j, const char* key, const std::string& source) {
  if (!j.contains(key) || !j[key].is_string())
    throw FormatError(source + ": \"" + key + "\" must be a string");
  return j[key];
}

nlohmann::json parse_key_json(const std::string& text, const std::string& source, const char* format) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) throw FormatError(source + ": not a JSON object");
  if (!j.contains("format") || j["format"] != format)
    throw FormatError(source + ": \"format\" is not \"" + format + "\"");
  if (!j.contains("version") || j["version"] != 1) throw FormatError(source + ": unsupported \"version\" (this build reads 1)");
  if (field(j, "algorithm", source) != "ed25519") throw FormatError(source + ": \"algorithm\" must be \"ed25519\"");
  field(j, "name", source);
  return j;
}

// The fields both key files start with.
nlohmann::ordered_json key_json(const char* format, const std::string& name, const PublicKey& key) {
  nlohmann::ordered_json j;
  j["format"] = format;
  j["version"] = 1;
  j["name"] = name;
  j["algorithm"] = "ed25519";
  j["public"] = key.hex();
  return j;
}

}  // namespace

std::string to_hex(const unsigned char* data, std::size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string s(2 * n, '0');
  for (std::size_t i = 0; i < n; ++i) {
    s[2 * i] = digits[data[i] >> 4];
    s[2 * i + 1] = digits[data[i] & 15];
  }
  return s;
}

std::string from_hex(std::string_view hex, const std::string& what, std::size_t expected_bytes) {
  if (hex.size() % 2 || (expected_bytes && hex.size() != 2 * expected_bytes))
    throw FormatError(what + ": expected " + (expected_bytes ? std::to_string(2 * expected_bytes) : std::string("an even number of")) +
                      " hex digits, got " + std::to_string(hex.size()));
  auto nibble = [&](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw FormatError(what + ": not a hex digit");
  };
  std::string out(hex.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<char>(nibble(hex[2 * i]) * 16 + nibble(hex[2 * i + 1]));
  return out;
}

std::string payload_hex(std::uint32_t p) {
  const unsigned char b[4] = {static_cast<unsigned char>(p >> 24), static_cast<unsigned char>(p >> 16),
                              static_cast<unsigned char>(p >> 8), static_cast<unsigned char>(p)};
  return to_hex(b, 4);
}

std::uint32_t payload_from_hex(std::string_view hex, const std::string& what) {
  const std::string b = from_hex(hex, what, 4);
  std::uint32_t p = 0;
  for (char c : b) p = p << 8 | static_cast<unsigned char>(c);
  return p;
}

std::string sha256_hex(std::string_view bytes) {
  ensure_sodium();
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return to_hex(h, sizeof h);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  ensure_sodium();
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(message.data()), message.size());
  crypto_auth_hmacsha256_final(&st, mac);
  return to_hex(mac, sizeof mac);
}

std::string sha256_file_hex(const std::string& path) {
  ensure_sodium();
  std::ifstream f(path, std::ios::binary);
  if (!f) throw IoError(path + ": cannot open");
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  std::vector<char> buf(1 << 16);
  while (f) {
    f.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(buf.data()), static_cast<unsigned long long>(f.gcount()));
  }
  if (f.bad()) throw IoError(path + ": read error");
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&st, h);
  return to_hex(h, sizeof h);
}

std::string random_hex(std::size_t n) {
  ensure_sodium();
  std::vector<unsigned char> b(n);
  randombytes_buf(b.data(), n);
  return to_hex(b.data(), n);
}

std::string PublicKey::id() const {
  return sha256_hex(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())).substr(0, 16);
}

SigningKey generate_signing_key(const std::string& name) {
  ensure_sodium();
  SigningKey k;
  k.name = name;
  crypto_sign_keypair(k.public_key.bytes.data(), k.secret.data());
  randombytes_buf(k.watermark.bytes.data(), k.watermark.bytes.size());
  return k;
}

std::string sign_message(const SigningKey& key, std::string_view message) {
  ensure_sodium();
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(message.data()), message.size(), key.secret.data());
  return to_hex(sig, sizeof sig);
}

bool verify_message(const PublicKey& key, std::string_view message, std::string_view signature_hex) {
  ensure_sodium();
  // Only the canonical encoding (lowercase, as sign_message writes it): a signature that
  // verifies under another spelling would let a signed file change without breaking it.
  if (signature_hex.find_first_not_of("0123456789abcdef") != std::string_view::npos) return false;
  std::string sig;
  try {
    sig = from_hex(signature_hex, "signature", crypto_sign_BYTES);
  } catch (const FormatError&) {
    return false;
  }
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig.data()),
                                     reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                                     key.bytes.data()) == 0;
}

std::string read_small_file(const std::string& path, std::size_t max_bytes, const std::string& what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw IoError(path + ": cannot open " + what);
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > max_bytes)
    throw FormatError(path + ": " + what + " of " + std::to_string(size) + " bytes, larger than the " +
                      std::to_string(max_bytes) + " allowed");
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

void write_signing_key(const std::string& path, const SigningKey& key) {
  nlohmann::ordered_json j = key_json(kSecretFormat, key.name, key.public_key);
  j["secret"] = to_hex(key.secret.data(), key.secret.size());
  j["watermark"] = to_hex(key.watermark.bytes.data(), key.watermark.bytes.size());
  AtomicOutput out(path);
  {
    // Created private before any secret byte is written to it.
    const mode_t old = ::umask(077);
    std::ofstream f(out.temp_path(), std::ios::binary);
    ::umask(old);
    f << j.dump(2) << "\n";
    if (!f.flush()) throw IoError(path + ": cannot write key file");
  }
  ::chmod(out.temp_path().c_str(), 0600);
  out.commit();
}

SigningKey read_signing_key(const std::string& path) {
  const auto j = parse_key_json(read_small_file(path, 1 << 16, "key file"), path, kSecretFormat);
  SigningKey k;
  k.name = j["name"].get<std::string>();
  const std::string pub = from_hex(field(j, "public", path).get<std::string>(), path + ": \"public\"", 32);
  const std::string sec = from_hex(field(j, "secret", path).get<std::string>(), path + ": \"secret\"", 64);
  const std::string wm = from_hex(field(j, "watermark", path).get<std::string>(), path + ": \"watermark\"", 32);
  std::copy(pub.begin(), pub.end(), k.public_key.bytes.begin());
  std::copy(sec.begin(), sec.end(), k.secret.begin());
  std::copy(wm.begin(), wm.end(), k.watermark.bytes.begin());
  // An Ed25519 secret key carries its public half in its last 32 bytes.
  if (!std::equal(k.public_key.bytes.begin(), k.public_key.bytes.end(), k.secret.begin() + 32))
    throw FormatError(path + ": \"public\" does not belong to \"secret\"");
  return k;
}

void write_public_key(const std::string& path, const NamedPublicKey& key) {
  write_file_atomic(path, key_json(kPublicFormat, key.name, key.key).dump(2) + "\n");
}

NamedPublicKey parse_public_key(const std::string& json, const std::string& source) {
  const auto j = parse_key_json(json, source, kPublicFormat);
  NamedPublicKey k;
  k.name = j["name"].get<std::string>();
  const std::string pub = from_hex(field(j, "public", source).get<std::string>(), source + ": \"public\"", 32);
  std::copy(pub.begin(), pub.end(), k.key.bytes.begin());
  return k;
}

NamedPublicKey read_public_key(const std::string& path) {
  return parse_public_key(read_small_file(path, 1 << 16, "public key file"), path);
}

std::string default_key_path() {
  if (const char* k = std::getenv("DUBKIT_KEY"); k && *k) return k;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.config/dubkit/studio.key";
}

}  // namespace dubkit
