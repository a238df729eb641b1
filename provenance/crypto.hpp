// Keys, signatures and hashes (libsodium): Ed25519 signing keys, their public halves and ids,
// SHA-256 of bytes and files, hex. The studio key file also holds the secret watermark key.
//
// Thread safety: every function may be called from any thread (libsodium is initialised once,
// on first use, thread-safely).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "provenance/watermark.hpp"

namespace dubkit {

// Lowercase hex of bytes, and back. from_hex throws FormatError naming `what` for odd length,
// a non-hex character or a length other than `expected_bytes` (when not 0).
std::string to_hex(const unsigned char* data, std::size_t n);
std::string from_hex(std::string_view hex, const std::string& what, std::size_t expected_bytes = 0);

// A 32-bit watermark payload as 8 hex digits (big-endian), and back (FormatError naming `what`).
std::string payload_hex(std::uint32_t payload);
std::uint32_t payload_from_hex(std::string_view hex, const std::string& what);

// SHA-256 of bytes, lowercase hex.
std::string sha256_hex(std::string_view bytes);
// SHA-256 of a file read in pieces. Throws IoError.
std::string sha256_file_hex(const std::string& path);
// HMAC-SHA-256 of `message` under `key`, lowercase hex.
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

// `n` bytes from the system's secure generator, as lowercase hex.
std::string random_hex(std::size_t n);

struct PublicKey {
  std::array<unsigned char, 32> bytes{};
  // The first 16 hex digits of the SHA-256 of the key: how records and manifests name it.
  std::string id() const;
  std::string hex() const { return to_hex(bytes.data(), bytes.size()); }
  bool operator==(const PublicKey& o) const { return bytes == o.bytes; }
};

// A studio's (or a witness's) signing identity. The secret halves never leave the key file.
struct SigningKey {
  std::string name;                         // who holds it: "Demo Studio (demo key)"
  std::array<unsigned char, 64> secret{};   // libsodium Ed25519 secret key (seed + public)
  PublicKey public_key;
  WatermarkKey watermark;                   // the studio's secret watermark key
};

// A fresh key pair and watermark key from the system's secure generator.
SigningKey generate_signing_key(const std::string& name);

// Detached Ed25519 signature of `message`, lowercase hex (128 digits).
std::string sign_message(const SigningKey& key, std::string_view message);
// True when `signature_hex` is a valid signature of `message` by `key`; false for a bad or
// malformed signature (never throws for one).
bool verify_message(const PublicKey& key, std::string_view message, std::string_view signature_hex);

// Key files, JSON:
//   secret: {"format": "dubkit-key", "version": 1, "name", "algorithm": "ed25519", "public", "secret", "watermark"}
//   public: {"format": "dubkit-public-key", "version": 1, "name", "algorithm": "ed25519", "public"}
// The secret file is created with mode 0600. Reading throws IoError (unreadable), FormatError
// naming the file and field (malformed, wrong format or version, a secret key whose public
// half does not match).
void write_signing_key(const std::string& path, const SigningKey& key);
SigningKey read_signing_key(const std::string& path);
// The studio key outputs are signed with by default: $DUBKIT_KEY, else
// $HOME/.config/dubkit/studio.key.
std::string default_key_path();

struct NamedPublicKey {
  std::string name;
  PublicKey key;
};
void write_public_key(const std::string& path, const NamedPublicKey& key);
NamedPublicKey read_public_key(const std::string& path);
NamedPublicKey parse_public_key(const std::string& json, const std::string& source);

// A small whole file (at most `max_bytes`), for records, manifests and keys. Throws IoError,
// FormatError when larger.
std::string read_small_file(const std::string& path, std::size_t max_bytes, const std::string& what);

}  // namespace dubkit
