// Push rules (client-server-api "Push Rules: API"):
// GET /pushrules/, GET /pushrules/global/, GET|PUT|DELETE /pushrules/global/{kind}/{ruleId},
// GET|PUT /pushrules/global/{kind}/{ruleId}/enabled, GET|PUT .../actions.
// Every change is saved as the user's m.push_rules account data and wakes their syncs.
#include "api/handlers.h"
#include "homeserver/push/push_rules.h"

namespace myelin::api {
namespace {

using core::Errc;

void save(Call& call, const json::object& rules) {
  homeserver::save_push_rules(call.hs.store, call.user().user_id, rules);
  call.hs.notifier.notify_user(call.user().user_id);
  call.reply(json::object{});
}

// The rule named by the path (kind, ruleId) in `rules`, or an answered error.
json::object* rule_of(Call& call, json::object& rules) {
  auto rule = homeserver::find_rule(rules, call.param(0), call.param(1));
  if (!rule) {
    call.fail(rule.error());
    return nullptr;
  }
  return *rule;
}

}  // namespace

void get_push_rules(Call& call) { call.reply(homeserver::load_push_rules(call.hs.store, call.user().user_id)); }

void get_push_rules_global(Call& call) {
  call.reply(homeserver::load_push_rules(call.hs.store, call.user().user_id)["global"]);
}

void get_push_rules_of_kind(Call& call) {
  if (!homeserver::is_rule_kind(call.param(0)))
    return call.fail(core::make_error(Errc::kInvalidParam, "Unknown rule kind"));
  call.reply(homeserver::load_push_rules(call.hs.store, call.user().user_id)["global"].as_object()[call.param(0)]);
}

void get_push_rule(Call& call) {
  json::object rules = homeserver::load_push_rules(call.hs.store, call.user().user_id);
  if (json::object* rule = rule_of(call, rules)) call.reply(*rule);
}

void put_push_rule(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  json::object rules = homeserver::load_push_rules(call.hs.store, call.user().user_id);
  auto put = homeserver::put_rule(rules, call.param(0), call.param(1), *body, call.request.query_param("before"),
                                  call.request.query_param("after"), call.hs.options.push.push_rules_per_user);
  if (!put) return call.fail(put.error());
  save(call, rules);
}

void delete_push_rule(Call& call) {
  json::object rules = homeserver::load_push_rules(call.hs.store, call.user().user_id);
  if (auto deleted = homeserver::delete_rule(rules, call.param(0), call.param(1)); !deleted)
    return call.fail(deleted.error());
  save(call, rules);
}

void get_push_rule_attribute(Call& call) {
  json::object rules = homeserver::load_push_rules(call.hs.store, call.user().user_id);
  json::object* rule = rule_of(call, rules);
  if (!rule) return;
  const std::string attribute = call.request.path.substr(call.request.path.rfind('/') + 1);
  call.reply(json::object{{attribute, (*rule)[attribute]}});
}

void put_push_rule_attribute(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  json::object rules = homeserver::load_push_rules(call.hs.store, call.user().user_id);
  json::object* rule = rule_of(call, rules);
  if (!rule) return;
  const std::string attribute = call.request.path.substr(call.request.path.rfind('/') + 1);
  auto value = body->if_contains(attribute);
  if (attribute == "enabled" && (!value || !value->is_bool()))
    return call.fail(core::make_error(Errc::kBadJson, "enabled must be a boolean"));
  if (attribute == "actions" && (!value || !value->is_array()))
    return call.fail(core::make_error(Errc::kBadJson, "actions must be an array"));
  (*rule)[attribute] = *value;
  if (auto ok = homeserver::check_rule_size(*rule); !ok) return call.fail(ok.error());
  save(call, rules);
}

}  // namespace myelin::api
