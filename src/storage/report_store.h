#pragma once
// Content reports (storage/store.h has the contract), kept for the server's administrators.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/common.h"

namespace myelin::storage {

// A report of an event (room_id and event_id), a room (room_id) or a user (user_id).
struct Report {
  std::string room_id, event_id, reporter, reason;
  std::optional<std::int64_t> score;
  std::int64_t ts = 0;
  std::string user_id = {};
};

class ReportStore {
 public:
  virtual ~ReportStore() = default;

  virtual void add_report(const Report& report) = 0;
  virtual std::int64_t report_count(const std::string& reporter) = 0;
  virtual std::vector<Report> reports() = 0;  // oldest first
};

}  // namespace myelin::storage
