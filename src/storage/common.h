#pragma once
// What every store interface shares: the one stream of positions, the error a store throws,
// and client transactions (idempotent sends of events and to-device messages). The contract
// of every store is in storage/store.h.
#include <cstdint>
#include <stdexcept>
#include <string>

namespace myelin::storage {

using StreamPos = std::int64_t;

struct StorageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A client transaction (client-server-api "Transaction identifiers"): a request is a
// retransmission of an earlier one when it comes from the same device, to the same endpoint,
// with the same transaction ID.
struct Transaction {
  std::string user_id, device_id;
  // The request's path without the API prefix and the {txnId} segment, its parameters
  // decoded with '%' and '/' escaped again: "/rooms/!r:x/send/m.room.message".
  std::string endpoint;
  std::string txn_id;
};

}  // namespace myelin::storage
