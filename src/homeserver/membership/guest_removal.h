#pragma once
// Guest access, server behaviour (client-server-api "Guest Access"): when an event changes a
// room's m.room.guest_access (a new one, or a redaction of the current one) so that guests may
// no longer join, every local guest joined or invited leaves. A subscriber of the write path
// (wired in homeserver.h, after the Notifier); the leaves go through Timeline::send like any
// local event. A new room's first events change nothing: its guests were invited into it as
// it is.
#include "homeserver/timeline/timeline.h"
#include "homeserver/timeline/write_path.h"
#include "storage/account_store.h"

namespace myelin::homeserver {

class GuestRemoval {
 public:
  GuestRemoval(storage::AccountStore& store, Timeline& timeline) : store_(store), timeline_(timeline) {}

  void on_written(const Written& written);

 private:
  storage::AccountStore& store_;
  Timeline& timeline_;
};

}  // namespace myelin::homeserver
