#pragma once
// The local room directory (storage/store.h has the contract): room aliases and which rooms
// are published in the public room list.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/common.h"

namespace myelin::storage {

class RoomDirectoryStore {
 public:
  virtual ~RoomDirectoryStore() = default;

  virtual bool create_alias(const std::string& alias, const std::string& room_id,
                            const std::string& creator) = 0;  // false if taken
  virtual std::optional<std::string> alias_room(const std::string& alias) = 0;
  virtual std::optional<std::string> alias_creator(const std::string& alias) = 0;
  virtual bool delete_alias(const std::string& alias) = 0;
  virtual std::vector<std::string> room_aliases(const std::string& room_id) = 0;
  virtual std::int64_t alias_count(const std::string& creator) = 0;

  virtual void set_room_published(const std::string& room_id, bool published) = 0;
  virtual std::vector<std::string> published_rooms() = 0;
};

}  // namespace myelin::storage
