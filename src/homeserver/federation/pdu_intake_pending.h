#pragma once
// PduIntake's record of one PDU being checked (private to pdu_intake*.cc).
#include <memory>
#include <string>

#include "homeserver/federation/pdu_intake.h"

namespace myelin::homeserver {

// What the PDUs fetched for one received PDU may still fetch, shared by them all.
struct PduIntake::GapBudget {
  int state_fetches = kMaxStateFetches;
};

struct PduIntake::Pending {
  std::string origin;
  json::object pdu;
  std::shared_ptr<RoomState> room;  // held until done, so the cache keeps this one
  std::string event_id;
  bool may_fetch = true;       // may ask the origin for missing prev events
  bool may_fetch_auth = true;  // may ask the origin for missing auth events
  std::shared_ptr<GapBudget> budget = std::make_shared<GapBudget>();
  Done done;
  void finish(std::string error) const { done({event_id, std::move(error)}); }
  void refuse(std::string why) const { done({event_id, std::move(why), true}); }  // rejected by the auth rules
};

}  // namespace myelin::homeserver
