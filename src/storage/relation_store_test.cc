#include <gtest/gtest.h>

#include "storage/store.h"

namespace myelin::storage {
namespace {

const std::vector<std::string> kBundled{"m.replace", "m.thread", "m.reference", "m.annotation"};

class RelationStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NewEvent create = event("$create", "@a:x", std::nullopt);
    create.type = "m.room.create";
    create.state_key = "";
    create.state_group_before = 0;
    store->persist_events({create}, RoomRecord{"!r:x", "12", "@a:x", false});
  }

  static NewEvent event(const std::string& id, const std::string& sender, std::optional<NewRelation> relation,
                        std::int64_t ts = 1) {
    NewEvent e;
    e.event_id = id;
    e.room_id = "!r:x";
    e.type = "m.room.message";
    e.sender = sender;
    e.origin_server_ts = ts;
    e.json = R"({"content":{"body":"hi"}})";
    e.state_group_before = kStateGroupOfPrevious;
    e.relation = std::move(relation);
    return e;
  }
  static NewRelation rel(const std::string& parent, const std::string& rel_type, const std::string& thread = "",
                         const std::string& root_sender = "") {
    NewRelation r;
    r.parent_id = parent;
    r.rel_type = rel_type;
    r.aggregated = true;
    r.thread_id = thread;
    r.thread_hops = thread.empty() ? 0 : 1;
    r.root_sender = root_sender;
    return r;
  }
  StreamPos persist(NewEvent e) { return store->persist_events({std::move(e)}, std::nullopt).front().pos; }
  void redact(const std::string& target) {
    NewEvent r = event("$redact-" + target, "@a:x", std::nullopt);
    r.type = "m.room.redaction";
    r.redaction = std::make_pair(target, std::string(R"({"content":{}})"));
    persist(std::move(r));
  }
  static std::vector<std::string> ids(const std::vector<StoredEvent>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(e.event_id);
    return out;
  }

  std::unique_ptr<Store> store = open_sqlite_store({":memory:", false});
};

TEST_F(RelationStoreTest, ChildrenPageBothWaysAndFilter) {
  const StreamPos root = persist(event("$root", "@a:x", std::nullopt));
  persist(event("$t1", "@b:x", rel("$root", "m.thread", "$root", "@a:x")));
  persist(event("$r1", "@b:x", rel("$root", "m.annotation")));
  persist(event("$t2", "@c:x", rel("$root", "m.thread", "$root", "@a:x")));
  persist(event("$e1", "@b:x", rel("$t1", "m.replace")));  // a grandchild
  const StreamPos now = store->current_pos();

  ChildrenQuery all{"$root", std::nullopt, std::nullopt, 0, now, 10, Direction::kBackward, 1};
  EXPECT_EQ(ids(store->children(all)), (std::vector<std::string>{"$t2", "$r1", "$t1"}));
  ChildrenQuery forward = all;
  forward.dir = Direction::kForward;
  forward.limit = 2;
  EXPECT_EQ(ids(store->children(forward)), (std::vector<std::string>{"$t1", "$r1"}));
  forward.lower = root + 2;  // after $r1
  EXPECT_EQ(ids(store->children(forward)), (std::vector<std::string>{"$t2"}));

  ChildrenQuery threads = all;
  threads.rel_type = "m.thread";
  EXPECT_EQ(ids(store->children(threads)), (std::vector<std::string>{"$t2", "$t1"}));
  threads.child_type = "m.reaction";
  EXPECT_TRUE(store->children(threads).empty());

  ChildrenQuery recurse = all;
  recurse.depth = 3;
  EXPECT_EQ(ids(store->children(recurse)), (std::vector<std::string>{"$e1", "$t2", "$r1", "$t1"}));
  // The filter applies on the way: an edit reached only through a thread reply is not reached.
  recurse.rel_type = "m.replace";
  EXPECT_TRUE(store->children(recurse).empty());
}

TEST_F(RelationStoreTest, AggregationReadsAndRedactedChildrenDropOut) {
  const StreamPos root = persist(event("$root", "@a:x", std::nullopt));
  const StreamPos t1 = persist(event("$t1", "@b:x", rel("$root", "m.thread", "$root", "@a:x")));
  persist(event("$e1", "@a:x", rel("$root", "m.replace"), 5));
  persist(event("$e2", "@a:x", rel("$root", "m.replace"), 3));  // newer position, older timestamp
  NewRelation invalid = rel("$root", "m.replace");
  invalid.aggregated = false;
  persist(event("$e3", "@b:x", invalid, 9));
  persist(event("$ref", "@b:x", rel("$root", "m.reference")));
  const StreamPos t2 = persist(event("$t2", "@c:x", rel("$root", "m.thread", "$root", "@a:x")));
  const StreamPos now = store->current_pos();

  auto counts = store->child_counts("!r:x", {{"$root", root}}, kBundled, now);
  std::map<std::string, ChildCount> by_type;
  for (const auto& c : counts) by_type[c.rel_type] = c;
  EXPECT_EQ(by_type["m.thread"].count, 2);
  EXPECT_EQ(by_type["m.thread"].latest_pos, t2);
  EXPECT_EQ(by_type["m.replace"].count, 2);  // the invalid one does not count
  EXPECT_EQ(by_type["m.reference"].count, 1);
  EXPECT_EQ(store->child_counts("!r:x", {{"$root", root}}, {"m.thread"}, now).size(), 1u);  // only those asked
  // Only what is at or before `upto`.
  auto early = store->child_counts("!r:x", {{"$root", root}}, kBundled, t1);
  ASSERT_EQ(early.size(), 1u);
  EXPECT_EQ(early[0].rel_type, "m.thread");
  EXPECT_EQ(early[0].count, 1);
  // Parents newer than every relation of the room: no children.
  EXPECT_TRUE(store->child_counts("!r:x", {{"$t2", t2}}, kBundled, now).empty());

  auto edits = store->latest_replacements({"$root"}, now);
  ASSERT_EQ(edits.size(), 1u);
  EXPECT_EQ(edits[0].second.event_id, "$e1");  // the greatest origin_server_ts
  EXPECT_EQ(store->references({"$root"}, now, 10),
            (std::vector<std::pair<std::string, std::string>>{{"$root", "$ref"}}));

  EXPECT_EQ(store->participated("!r:x", "@a:x", {"$root"}), std::vector<std::string>{"$root"});  // the root's sender
  EXPECT_EQ(store->participated("!r:x", "@c:x", {"$root"}), std::vector<std::string>{"$root"});
  EXPECT_TRUE(store->participated("!r:x", "@d:x", {"$root"}).empty());
  auto threads = store->threads("!r:x", std::nullopt, now, 10);
  ASSERT_EQ(threads.size(), 1u);
  EXPECT_EQ(threads[0].root_id, "$root");
  EXPECT_EQ(threads[0].root_pos, root);
  EXPECT_EQ(threads[0].latest_pos, t2);
  EXPECT_EQ(store->threads("!r:x", "@c:x", now, 10).size(), 1u);
  EXPECT_TRUE(store->threads("!r:x", "@d:x", now, 10).empty());

  redact("$t2");
  redact("$e1");
  EXPECT_FALSE(store->relation("$t2"));
  EXPECT_TRUE(store->participated("!r:x", "@c:x", {"$root"}).empty());
  EXPECT_EQ(store->threads("!r:x", std::nullopt, store->current_pos(), 10)[0].latest_pos, t1);
  edits = store->latest_replacements({"$root"}, store->current_pos());
  ASSERT_EQ(edits.size(), 1u);
  EXPECT_EQ(edits[0].second.event_id, "$e2");
  redact("$t1");  // the last reply: no thread any more
  EXPECT_TRUE(store->threads("!r:x", std::nullopt, store->current_pos(), 10).empty());
  EXPECT_TRUE(store->participated("!r:x", "@a:x", {"$root"}).empty());
}

TEST_F(RelationStoreTest, AnnotationsAndThreadsOfChildren) {
  persist(event("$root", "@a:x", std::nullopt));
  NewRelation reaction = rel("$root", "m.annotation");
  reaction.key = "👍";
  NewEvent r = event("$like", "@b:x", reaction);
  r.type = "m.reaction";
  persist(std::move(r));
  EXPECT_TRUE(store->has_annotation("$root", "m.reaction", "👍", "@b:x"));
  EXPECT_FALSE(store->has_annotation("$root", "m.reaction", "👎", "@b:x"));
  EXPECT_FALSE(store->has_annotation("$root", "m.reaction", "👍", "@c:x"));
  persist(event("$t1", "@b:x", rel("$root", "m.thread", "$root", "@a:x")));
  auto found = store->relations({"$t1", "$like", "$root"});
  ASSERT_EQ(found.size(), 2u);
  for (const auto& relation : found) EXPECT_EQ(relation.thread_id, relation.child_id == "$t1" ? "$root" : "");
}

TEST(RelationReadPositionsTest, FurthestReceiptPerThread) {
  auto store = open_sqlite_store({":memory:", false});
  NewEvent create;
  create.event_id = "$create";
  create.room_id = "!r:x";
  create.type = "m.room.create";
  create.state_key = "";
  create.sender = "@a:x";
  create.json = "{}";
  std::vector<NewEvent> batch{create};
  for (const char* id : {"$1", "$2", "$3"}) {
    NewEvent e = create;
    e.event_id = id;
    e.type = "m.room.message";
    e.state_key.reset();
    e.state_group_before = kStateGroupOfPrevious;
    batch.push_back(e);
  }
  const auto at = store->persist_events(batch, RoomRecord{"!r:x", "12", "@a:x", false});
  store->set_receipt({"!r:x", "m.read", "@a:x", "", "$1", 1, 0});
  store->set_receipt({"!r:x", "m.read.private", "@a:x", "", "$2", 1, 0});
  store->set_receipt({"!r:x", "m.read", "@a:x", "$1", "$3", 1, 0});
  store->set_receipt({"!r:x", "m.read.private", "@a:x", "$1", "$2", 1, 0});  // behind the public one
  store->set_receipt({"!r:x", "m.read", "@b:x", "main", "$3", 1, 0});
  auto reads = store->read_positions("!r:x", "@a:x");
  std::sort(reads.begin(), reads.end());
  EXPECT_EQ(reads, (std::vector<std::pair<std::string, StreamPos>>{{"", at[2].pos}, {"$1", at[3].pos}}));
  EXPECT_EQ(store->user_receipt("!r:x", "@a:x", "m.read", "$1")->event_id, "$3");
  EXPECT_EQ(store->user_receipt("!r:x", "@a:x", "m.read", "")->event_id, "$1");
}

}  // namespace
}  // namespace myelin::storage
