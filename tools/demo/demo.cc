// hvsock_demo: two flows over the in-memory loopback backend, narrated.
//
// A client sends a request and closes its write side (half-close); the
// server reads the request and Eof, then, although the client has closed,
// still writes its response (the client reads after its own close) and
// closes. The client's close waits in close-wait until then. Run once per
// wire protocol. Exit status 0 only if every step behaved as the contract
// says.
#include <cstdio>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "backends/loopback/byte_pipe.h"
#include "backends/loopback/loopback_driver.h"
#include "core/flow.h"

namespace hvsock {
namespace {

struct Endpoint {
  Endpoint(const char* name, const FlowOptions& options, BytePipe& in,
           BytePipe& out)
      : name(name),
        flow(Flow::Create(options).value()),
        driver(flow, in, out) {}
  const char* name;
  Flow flow;
  LoopbackDriver driver;
};

bool failed = false;

void Expect(bool ok, const char* what) {
  std::printf("    %s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) failed = true;
}

// Moves bytes until nothing moves: the backend's job, in one loop.
void Pump(Endpoint& a, Endpoint& b) {
  for (int i = 0; i < 1000; ++i) {
    size_t moved = 0;
    for (Endpoint* e : {&a, &b}) {
      if (e->driver.CanTransmit()) moved += e->driver.Transmit(SIZE_MAX) + 1;
      if (e->driver.CanReceive()) moved += e->driver.Receive(SIZE_MAX) + 1;
      if (e->driver.CloseTransportIfFinished()) ++moved;
    }
    if (moved == 0) return;
  }
}

std::string ReadAll(Endpoint& e, bool* eof) {
  std::string text;
  while (true) {
    absl::StatusOr<ReadResult> r = e.flow.Read();
    if (!r.ok()) {
      std::printf("    %s read error: %s\n", e.name,
                  r.status().ToString().c_str());
      return text;
    }
    if (r->is_eof()) {
      *eof = true;
      return text;
    }
    if (r->would_block()) return text;
    text += std::string(r->data());
  }
}

void Show(const Endpoint& e) {
  FlowStats s = e.flow.stats();
  std::printf(
      "    %-6s state=%-18s bytes out=%llu in=%llu wire out=%llu "
      "frames out=%llu\n",
      e.name, std::string(FlowStateName(s.state)).c_str(),
      static_cast<unsigned long long>(s.bytes_out),
      static_cast<unsigned long long>(s.bytes_in),
      static_cast<unsigned long long>(s.wire_bytes_out),
      static_cast<unsigned long long>(s.frames_out));
}

void Run(Codec codec) {
  std::printf("== %s codec\n", std::string(CodecName(codec)).c_str());
  FlowOptions options;
  options.codec = codec;
  BytePipe to_server, to_client;
  Endpoint client("client", options, to_client, to_server);
  Endpoint server("server", options, to_server, to_client);
  const absl::Time now = absl::UnixEpoch();

  std::printf("1. client writes a request and closes (half-close)\n");
  Expect(client.flow.Write("GET /status").ok(), "write accepted");
  Expect(client.flow.Close(now).ok(), "close started");
  if (codec == Codec::kFramed) {
    absl::string_view spans[8];
    size_t n = client.flow.PeekTransmit(absl::MakeSpan(spans));
    std::string wire;
    for (size_t i = 0; i < n; ++i)
      wire.append(spans[i].data(), spans[i].size());
    std::printf("    on the wire: %s\n", absl::BytesToHexString(wire).c_str());
  }
  Pump(client, server);
  Show(client);

  std::printf("2. server reads the request, then Eof\n");
  bool eof = false;
  std::string request = ReadAll(server, &eof);
  std::printf("    server read \"%s\"\n", request.c_str());
  Expect(request == "GET /status" && eof, "every byte, then Eof");
  Expect(client.flow.state() == FlowState::kCloseWait,
         "client's close waits (close-wait) for the server's end");

  std::printf("3. server still writes after the client's close, then closes\n");
  Expect(server.flow.Write("200 OK").ok(), "response accepted");
  Expect(server.flow.Close(now).ok(), "server close started");
  Pump(client, server);

  std::printf("4. client reads the response after its own close\n");
  eof = false;
  std::string response = ReadAll(client, &eof);
  std::printf("    client read \"%s\"\n", response.c_str());
  Expect(response == "200 OK" && eof, "every byte, then Eof");
  Expect(client.flow.state() == FlowState::kClosed &&
             server.flow.state() == FlowState::kClosed,
         "both closes completed; the transport is closed");
  Show(client);
  Show(server);
}

}  // namespace
}  // namespace hvsock

int main() {
  hvsock::Run(hvsock::Codec::kNative);
  hvsock::Run(hvsock::Codec::kFramed);
  std::printf(hvsock::failed ? "demo FAILED\n" : "demo ok\n");
  return hvsock::failed ? 1 : 0;
}
