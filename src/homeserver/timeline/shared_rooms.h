#pragma once
// Whether two users share a room: the privacy rule for profile and presence lookups.
#include <string>

#include "storage/event_store.h"

namespace myelin::homeserver {

// True when `a` and `b` are each joined to or invited into at least one common room. Always
// true for a == b.
bool share_a_room(storage::EventStore& store, const std::string& a, const std::string& b);

}  // namespace myelin::homeserver
