#pragma once
// Inside http/ only: the server's two loops, for the parts that run on them beside the
// connections (the outgoing HTTPS client).
#include <atomic>
#include <memory>

#include "http/https_client.h"

namespace boost::asio {
class io_context;
}

namespace myelin::http {

struct Loops {
  boost::asio::io_context& net;  // the connection thread's
  boost::asio::io_context& io;   // the event loop
  // False once the loops have stopped: nothing may be posted to io any more.
  std::shared_ptr<std::atomic<bool>> open;
};

// Throws std::runtime_error when options.ca_file cannot be read.
std::unique_ptr<HttpsClient> make_https_client(Loops loops, const HttpsClientOptions& options);

}  // namespace myelin::http
