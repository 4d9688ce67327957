#include "backends/uri.h"

#include <cstdint>
#include <utility>
#include <variant>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "backends/hyperv/id_text.h"
#include "backends/uri_syntax.h"

namespace hvsock {
namespace {

// ── vsock:// and unix:// ────────────────────────────────────────────────

absl::StatusOr<Address> ParseVsock(absl::string_view uri,
                                   const UriParts& parts) {
  absl::string_view authority = parts.authority;
  size_t colon = authority.find(':');
  if (colon == absl::string_view::npos) {
    return UriError(uri, parts.authority_column + authority.size(),
                    authority.empty()
                        ? "expected CID:PORT or :PORT after \"vsock://\""
                        : "expected ':' and a port after the CID "
                          "(vsock://CID:PORT)");
  }
  VsockAddress address;
  absl::string_view cid = authority.substr(0, colon);
  if (!cid.empty()) {
    absl::StatusOr<uint32_t> value =
        ParseUriNumber(uri, cid, parts.authority_column, "CID");
    if (!value.ok()) return value.status();
    address.cid = *value;
  }
  absl::string_view port = authority.substr(colon + 1);
  size_t port_column = parts.authority_column + colon + 1;
  if (port.empty()) {
    return UriError(uri, port_column,
                    "missing port after ':' (vsock://CID:PORT)");
  }
  absl::StatusOr<uint32_t> value =
      ParseUriNumber(uri, port, port_column, "port");
  if (!value.ok()) return value.status();
  address.port = *value;
  if (!parts.path.empty() && parts.path != "/") {
    return UriError(uri, parts.path_column,
                    absl::StrCat("unexpected path ", QuotedUriText(parts.path),
                                 " after the port (vsock://CID:PORT)"));
  }
  return address;
}

absl::StatusOr<Address> ParseUnix(absl::string_view uri,
                                  const UriParts& parts) {
  if (!parts.authority.empty()) {
    return UriError(
        uri, parts.authority_column,
        absl::StrCat("unix URIs have no host (found ",
                     QuotedUriText(parts.authority),
                     "); write unix:///absolute/path, with three slashes"));
  }
  if (parts.path.empty() || parts.path == "/") {
    return UriError(uri, parts.path_column,
                    "missing socket path (unix:///absolute/path)");
  }
  absl::StatusOr<std::string> path =
      PercentDecode(uri, parts.path, parts.path_column);
  if (!path.ok()) return path.status();
  return UnixAddress{*std::move(path)};
}

// ── hybrid-vsock:// and hyperkit:// ─────────────────────────────────────

// The "/abs/path:PORT" of hybrid-vsock:// and hyperkit:// URIs: the port
// is the number after the last ':' of the path; the path before it is
// percent-decoded.
struct PathAndPort {
  std::string path;
  uint32_t port = 0;
};

absl::StatusOr<PathAndPort> ParsePathAndPort(absl::string_view uri,
                                             const UriParts& parts,
                                             absl::string_view form,
                                             absl::string_view what) {
  if (!parts.authority.empty()) {
    return UriError(uri, parts.authority_column,
                    absl::StrCat(parts.scheme, " URIs have no host (found ",
                                 QuotedUriText(parts.authority), "); write ",
                                 form, ", with three slashes"));
  }
  size_t colon = parts.path.rfind(':');
  if (colon == absl::string_view::npos) {
    return UriError(uri, parts.path_column + parts.path.size(),
                    absl::StrCat("expected ':' and a port after the ", what,
                                 " (", form, ")"));
  }
  absl::string_view path = parts.path.substr(0, colon);
  if (path.empty() || path == "/") {
    return UriError(
        uri, parts.path_column,
        absl::StrCat("missing ", what, " before the port (", form, ")"));
  }
  absl::string_view port_text = parts.path.substr(colon + 1);
  size_t port_column = parts.path_column + colon + 1;
  if (port_text.empty()) {
    return UriError(uri, port_column,
                    absl::StrCat("missing port after ':' (", form, ")"));
  }
  absl::StatusOr<uint32_t> port =
      ParseUriNumber(uri, port_text, port_column, "port");
  if (!port.ok()) return port.status();
  absl::StatusOr<std::string> decoded =
      PercentDecode(uri, path, parts.path_column);
  if (!decoded.ok()) return decoded.status();
  return PathAndPort{*std::move(decoded), *port};
}

constexpr absl::string_view kHybridVsockForm =
    "hybrid-vsock:///path/to/v.sock:PORT";
constexpr absl::string_view kHyperkitForm = "hyperkit:///path/to/dir:PORT";

absl::StatusOr<Address> ParseHybridVsock(absl::string_view uri,
                                         const UriParts& parts) {
  absl::StatusOr<PathAndPort> parsed =
      ParsePathAndPort(uri, parts, kHybridVsockForm, "socket path");
  if (!parsed.ok()) return parsed.status();
  return HybridVsockAddress{std::move(parsed->path), parsed->port};
}

// hyperkit:// is parsed before SplitUri sees it: its ?cid=N query is one
// SplitUri refuses.
absl::StatusOr<Address> ParseHyperkit(absl::string_view uri) {
  // The one query anywhere: ?cid=N. SplitUri sees what precedes it.
  size_t query = uri.find('?');
  absl::string_view before_query = uri.substr(0, query);
  if (before_query.find('#') != absl::string_view::npos) {
    return SplitUri(uri).status();  // reports the fragment
  }
  absl::StatusOr<UriParts> parts = SplitUri(before_query);
  if (!parts.ok()) {
    // Errors name the whole URI; the column is the same.
    return absl::InvalidArgumentError(absl::StrReplaceAll(
        parts.status().message(),
        {{QuotedUriText(before_query), QuotedUriText(uri)}}));
  }
  absl::StatusOr<PathAndPort> parsed =
      ParsePathAndPort(uri, *parts, kHyperkitForm, "directory");
  if (!parsed.ok()) return parsed.status();
  HyperkitAddress address{std::move(parsed->path), parsed->port,
                          HyperkitAddress::kDefaultGuestCid};
  if (query == absl::string_view::npos) return address;
  absl::string_view text = uri.substr(query + 1);
  size_t column = query + 2;
  if (size_t hash = text.find('#'); hash != absl::string_view::npos) {
    return UriError(uri, column + hash, "fragments ('#') are not supported");
  }
  constexpr absl::string_view kCid = "cid=";
  if (text.substr(0, kCid.size()) != kCid) {
    return UriError(uri, column,
                    absl::StrCat("unknown query ", QuotedUriText(text),
                                 " (the only one is ?cid=N, the guest's CID)"));
  }
  absl::StatusOr<uint32_t> cid = ParseUriNumber(uri, text.substr(kCid.size()),
                                                column + kCid.size(), "CID");
  if (!cid.ok()) return cid.status();
  if (*cid <= VsockAddress::kCidHost || *cid == VsockAddress::kCidAny) {
    return UriError(uri, column + kCid.size(),
                    absl::StrCat("CID ", *cid,
                                 " is not a guest's (guests have CIDs from 3 "
                                 "to 4294967294)"));
  }
  address.guest_cid = *cid;
  return address;
}

// ── hvsock:// ───────────────────────────────────────────────────────────

absl::StatusOr<Address> ParseHvsock(absl::string_view uri,
                                    const UriParts& parts) {
  if (parts.path.empty()) {
    return UriError(uri, parts.path_column,
                    "expected '/' and a SERVICEID after the VMID "
                    "(hvsock://VMID/SERVICEID)");
  }
  absl::string_view service_text = parts.path.substr(1);
  size_t service_column = parts.path_column + 1;
  if (size_t extra = service_text.find('/'); extra != absl::string_view::npos) {
    return UriError(uri, service_column + extra,
                    "unexpected '/' after the SERVICEID (hvsock URIs have no "
                    "path)");
  }
  absl::StatusOr<HvGuid> vm_id = ParseHvVmId(parts.authority);
  if (!vm_id.ok()) {
    return UriError(uri, parts.authority_column, vm_id.status().message());
  }
  absl::StatusOr<HvGuid> service_id = ParseHvServiceId(service_text);
  if (!service_id.ok()) {
    return UriError(uri, service_column, service_id.status().message());
  }
  return HvSocketAddress{*vm_id, *service_id};
}

// ── Formatting, one overload per kind ───────────────────────────────────

std::string Format(const HybridVsockAddress& address) {
  return absl::StrCat("hybrid-vsock://", PercentEncodePath(address.uds_path),
                      ":", address.port);
}

std::string Format(const HyperkitAddress& address) {
  std::string uri = absl::StrCat(
      "hyperkit://", PercentEncodePath(address.directory), ":", address.port);
  if (address.guest_cid != HyperkitAddress::kDefaultGuestCid) {
    absl::StrAppend(&uri, "?cid=", address.guest_cid);
  }
  return uri;
}

std::string Format(const VsockAddress& address) {
  if (address.cid == VsockAddress::kCidAny) {
    return absl::StrCat("vsock://:", address.port);
  }
  return absl::StrCat("vsock://", address.cid, ":", address.port);
}

std::string Format(const UnixAddress& address) {
  // A relative path cannot be written as a unix:/// URI; keep it readable
  // (and unparseable rather than wrong).
  if (!address.path.empty() && address.path[0] != '/') {
    return absl::StrCat("unix:", PercentEncodePath(address.path));
  }
  return absl::StrCat("unix://", PercentEncodePath(address.path));
}

std::string Format(const HvSocketAddress& address) {
  return absl::StrCat("hvsock://", FormatHvVmId(address.vm_id), "/",
                      FormatHvServiceId(address.service_id));
}

}  // namespace

absl::StatusOr<Address> ParseAddressUri(absl::string_view uri) {
  if (absl::StartsWithIgnoreCase(uri, "hyperkit://")) {
    return ParseHyperkit(uri);
  }
  absl::StatusOr<UriParts> parts = SplitUri(uri);
  if (!parts.ok()) return parts.status();
  if (parts->scheme == "vsock") return ParseVsock(uri, *parts);
  if (parts->scheme == "unix") return ParseUnix(uri, *parts);
  if (parts->scheme == "hybrid-vsock") return ParseHybridVsock(uri, *parts);
  if (parts->scheme == "hvsock") return ParseHvsock(uri, *parts);
  return UriError(uri, 1,
                  absl::StrCat("unknown scheme ", QuotedUriText(parts->scheme),
                               " (expected vsock, unix, hybrid-vsock, "
                               "hyperkit or hvsock)"));
}

std::string FormatAddressUri(const Address& address) {
  return std::visit([](const auto& kind) { return Format(kind); }, address);
}

}  // namespace hvsock
