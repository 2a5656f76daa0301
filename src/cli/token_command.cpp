// `vigil token create|revoke|list --data DIR`: API tokens for `vigil serve`. The secret is
// printed once by `create` and stored only as its SHA-256 hash.
#include <cstdio>
#include <memory>
#include <string>

#include "command.h"
#include "vigil/common/error.h"
#include "vigil/server/auth.h"
#include "vigil/store/data_directory.h"
#include "vigil/store/sqlite_service_store.h"

namespace vigil::cli {
namespace {

struct TokenOptions {
  std::string data;
  std::string role;
  std::string name;
};

std::unique_ptr<store::SqliteServiceStore> open_store(const std::string& data) {
  store::DataDirectory dir(data, store::DataDirectory::Mode::create_if_missing);
  return std::make_unique<store::SqliteServiceStore>(dir.store_path());
}

int create(const TokenOptions& o) {
  auto role = store::parse_token_role(o.role);
  if (!role) throw Error("--role must be one of: ingest, reviewer, curator, admin, legal");
  auto st = open_store(o.data);
  const std::string token = server::generate_token();
  st->create_token(o.name, *role, server::hash_token(token));
  std::printf("%s\n", token.c_str());
  std::fprintf(stderr, "vigil token: created '%s' with role %s; the token above is shown only once\n", o.name.c_str(),
               o.role.c_str());
  return 0;
}

int revoke(const TokenOptions& o) {
  auto st = open_store(o.data);
  if (!st->revoke_token(o.name)) throw Error("no active token named '" + o.name + "'");
  std::fprintf(stderr, "vigil token: revoked '%s'\n", o.name.c_str());
  return 0;
}

int list(const TokenOptions& o) {
  auto st = open_store(o.data);
  for (const auto& t : st->list_tokens()) {
    std::printf("%s\t%s\t%lld\t%s\n", t.name.c_str(), std::string(store::to_string(t.role)).c_str(),
                static_cast<long long>(t.created_at), t.revoked_at ? "revoked" : "active");
  }
  return 0;
}

CommandRegistrar reg{{"token", "Create, revoke and list API tokens for vigil serve", [](CLI::App& app) {
                        auto o = std::make_shared<TokenOptions>();
                        auto mode = std::make_shared<std::string>();
                        app.require_subcommand(1);
                        auto* c = app.add_subcommand("create", "Create a token (printed once)");
                        c->add_option("--data", o->data, "Data directory")->required();
                        c->add_option("--role", o->role, "ingest, reviewer, curator, admin or legal")->required();
                        c->add_option("--name", o->name, "A unique name for the token")->required();
                        c->callback([mode] { *mode = "create"; });
                        auto* r = app.add_subcommand("revoke", "Revoke a token by name");
                        r->add_option("--data", o->data, "Data directory")->required();
                        r->add_option("--name", o->name, "The token's name")->required();
                        r->callback([mode] { *mode = "revoke"; });
                        auto* l = app.add_subcommand("list", "List tokens (names, roles, state; never secrets)");
                        l->add_option("--data", o->data, "Data directory")->required();
                        l->callback([mode] { *mode = "list"; });
                        return [o, mode] {
                          if (*mode == "create") return create(*o);
                          if (*mode == "revoke") return revoke(*o);
                          return list(*o);
                        };
                      }}};

}  // namespace
}  // namespace vigil::cli
