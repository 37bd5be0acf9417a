// PostgreSQL sources against a real server: initdb into a temporary
// directory, a free loopback port, a Unix socket in the same directory,
// password authentication (scram-sha-256). As root, initdb refuses to run, so
// the server runs as `nobody` (runuser); the directory is handed over to it.
// The server is stopped when the suite ends, whatever happened.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "recmart/common/testing.h"
#include "recmart/etl/extract.h"
#include "recmart/etl/mixed_sources_testlib.h"
#include "recmart/etl/pipeline.h"

namespace recmart::etl {
namespace {
namespace fs = std::filesystem;
using ::recmart::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPassword[] = "pg-Secret-4711";
constexpr char kPasswordEnv[] = "RECMART_TEST_PG_PASSWORD";

std::string PgBinDir() {
  std::vector<std::string> dirs;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    if (fs::exists(e.path() / "bin/initdb")) dirs.push_back((e.path() / "bin").string());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs.empty() ? "" : dirs.back();
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

class PostgresServer {
 public:
  // Empty on success, else what failed (with the server log's tail).
  std::string Start() {
    bin_ = PgBinDir();
    if (bin_.empty()) return "no PostgreSQL server under /usr/lib/postgresql (scripts/deps.sh)";
    char tmpl[] = "/tmp/recmart-pg-XXXXXX";
    if (!::mkdtemp(tmpl)) return "mkdtemp failed";
    dir_ = tmpl;
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    std::ofstream(dir_ + "/pw") << kPassword << "\n";
    as_ = ::geteuid() == 0 ? "runuser -u nobody -- " : "";
    if (!as_.empty() && Run("chown nobody " + dir_ + " " + dir_ + "/pw") != 0)
      return "cannot hand " + dir_ + " to nobody";
    if (Run(as_ + bin_ + "/initdb -D " + dir_ + "/data -U recmart -A scram-sha-256 --pwfile=" +
            dir_ + "/pw -E UTF8 --no-locale --no-sync > " + dir_ + "/initdb.log 2>&1") != 0)
      return "initdb failed: " + Tail(dir_ + "/initdb.log");
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = FreePort();
      int rc = Run(as_ + bin_ + "/pg_ctl -D " + dir_ + "/data -l " + dir_ +
                   "/server.log -w -t 60 " + "-o \"-p " + std::to_string(port_) + " -k " + dir_ +
                   " -c listen_addresses=127.0.0.1 -c fsync=off\" start > /dev/null 2>&1");
      if (rc == 0) {
        started_ = true;
        return "";
      }
    }
    return "pg_ctl start failed: " + Tail(dir_ + "/server.log");
  }

  void Stop() {
    if (started_)
      Run(as_ + bin_ + "/pg_ctl -D " + dir_ + "/data -m immediate stop > /dev/null 2>&1");
    started_ = false;
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  // conninfo without the password.
  std::string Conninfo(const std::string& db = "postgres") const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=" + db + " user=recmart";
  }
  int port() const { return port_; }

  // Runs SQL as the superuser; empty on success, else the error.
  std::string Exec(const std::string& sql, const std::string& db = "postgres") const {
    std::string conninfo = Conninfo(db) + " password=" + kPassword;
    PGconn* c = PQconnectdb(conninfo.c_str());
    std::string err;
    if (PQstatus(c) != CONNECTION_OK) {
      err = PQerrorMessage(c);
    } else {
      PGresult* r = PQexec(c, sql.c_str());
      if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        err = PQresultErrorMessage(r);
      PQclear(r);
    }
    PQfinish(c);
    return err;
  }

 private:
  static int Run(const std::string& cmd) { return std::system(cmd.c_str()); }
  static std::string Tail(const std::string& path) {
    std::ifstream in(path);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return all.size() > 600 ? all.substr(all.size() - 600) : all;
  }

  std::string bin_, dir_, as_;
  int port_ = 0;
  bool started_ = false;
};

class PostgresSourceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new PostgresServer;
    start_error_ = new std::string(server_->Start());
  }
  static void TearDownTestSuite() {
    server_->Stop();
    delete server_;
    delete start_error_;
  }

  void SetUp() override {
    ASSERT_EQ(*start_error_, "") << "the test PostgreSQL server did not start";
    ::setenv(kPasswordEnv, kPassword, 1);
    db_ = "shop_" + std::to_string(::getpid()) + "_" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::transform(db_.begin(), db_.end(), db_.begin(), ::tolower);
    ASSERT_EQ(server_->Exec("CREATE DATABASE " + db_), "");
    ASSERT_EQ(Sql("CREATE TABLE orders (id bigserial PRIMARY KEY, order_id text, customer_id text, "
                  "product_id text, quantity integer, unit_price numeric(10,2), "
                  "ordered_at timestamptz)"),
              "");
    AddOrders(1, 5);
    testlib::WriteCatalogAndClicks(tmp_.path());
  }

  std::string Sql(const std::string& sql) { return server_->Exec(sql, db_); }

  void AddOrders(int first, int last, const std::string& extra_cols = "",
                 const std::string& extra_vals = "") {
    ASSERT_EQ(Sql("INSERT INTO orders (order_id, customer_id, product_id, quantity, unit_price, "
                  "ordered_at" +
                  extra_cols +
                  ") SELECT 'o' || n, 'c' || (n % 3 + 1), 'p' || (n % 4 + 1), n % 2 + 1, "
                  "9.5, timestamptz '2024-03-01 12:00:00+00' + (n - 1) * interval '1 day'" +
                  extra_vals + " FROM generate_series(" + std::to_string(first) + ", " +
                  std::to_string(last) + ") AS n"),
              "");
  }

  std::string OrdersBlock(const std::string& extra = "") {
    return "type = \"postgres\"\nconnection = \"" + server_->Conninfo(db_) +
           "\"\npassword_env = \"" + kPasswordEnv + "\"\n" + extra;
  }
  config::Project Project(const std::string& extra) {
    return testlib::ParseOrDie(tmp_.path(), testlib::ProjectText(OrdersBlock(extra)));
  }

  static PostgresServer* server_;
  static std::string* start_error_;
  std::string db_;
  testing::TempDir tmp_;
};
PostgresServer* PostgresSourceTest::server_ = nullptr;
std::string* PostgresSourceTest::start_error_ = nullptr;

TEST_F(PostgresSourceTest, OrdersFromPostgresLandBesideFileSourcesInBatches) {
  config::Project p =
      Project("table = \"public.orders\"\nincremental_column = \"id\"\nbatch_rows = 2\n");
  ASSERT_OK_AND_ASSIGN(EtlResult r, RunEtl(p, {}));
  EXPECT_EQ(r.accepted, 15u);  // 6 clicks, 5 orders, 4 products
  EXPECT_THAT(testlib::Rows(p, "SELECT SOURCE, count(*) FROM interactions GROUP BY ALL ORDER BY 1"),
              ElementsAre("clicks|6", "orders|5"));
  EXPECT_THAT(testlib::Rows(p,
                            "SELECT USER_ID, ITEM_ID, TIMESTAMP, EVENT_TYPE, EVENT_VALUE FROM "
                            "interactions WHERE SOURCE = 'orders' ORDER BY TIMESTAMP LIMIT 1"),
              ElementsAre("c2|p2|1709294400|purchase|19.0"));
  EXPECT_THAT(testlib::Rows(p, "SELECT count(*) FROM items"), ElementsAre("4"));

  ASSERT_OK_AND_ASSIGN(r, RunEtl(p, {}));
  EXPECT_TRUE(r.nothing_new);

  AddOrders(6, 12);
  ASSERT_OK_AND_ASSIGN(r, RunEtl(p, {}));
  EXPECT_EQ(r.raw_rows, 7u);
  EXPECT_THAT(testlib::Rows(p,
                            "SELECT count(*), max(TIMESTAMP) FROM interactions WHERE SOURCE = "
                            "'orders'"),
              ElementsAre("12|1710244800"));
  // The extract carries PostgreSQL's types and ISO-8601 UTC times.
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> files, SourceFiles(p, p.sources[2]));
  ASSERT_EQ(files.size(), 2u);
  ASSERT_OK_AND_ASSIGN(auto cols, ExtractSchema(files[1]));
  EXPECT_EQ(cols[0], (catalog::ColumnSchema{"id", "bigint"}));
  EXPECT_EQ(cols[5], (catalog::ColumnSchema{"unit_price", "numeric(10,2)"}));
  std::ifstream in(files[1]);
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first,
            "{\"id\":6,\"order_id\":\"o6\",\"customer_id\":\"c1\",\"product_id\":\"p3\","
            "\"quantity\":1,\"unit_price\":9.50,\"ordered_at\":\"2024-03-06T12:00:00Z\"}");
}

TEST_F(PostgresSourceTest, QuerySourceWithTimestampHighWaterMark) {
  config::Project p = Project(
      "query = \"SELECT o.*, upper(product_id) AS sku FROM orders o WHERE quantity > 0\"\n"
      "incremental_column = \"ordered_at\"\n");
  ASSERT_OK(RunEtl(p, {}).status());
  AddOrders(6, 6);
  std::vector<std::string> lines;
  EtlRunOptions o;
  o.log = [&](const std::string& l) { lines.push_back(l); };
  ASSERT_OK_AND_ASSIGN(EtlResult r, RunEtl(p, o));
  EXPECT_EQ(r.raw_rows, 1u);
  EXPECT_THAT(lines, Contains(HasSubstr("(high-water mark 2024-03-06T12:00:00Z)")));
}

TEST_F(PostgresSourceTest, AddedColumnIsSchemaDriftUnderThePolicy) {
  config::Project fail =
      Project("table = \"orders\"\nincremental_column = \"id\"\non_schema_change = \"fail\"\n");
  ASSERT_OK(RunEtl(fail, {}).status());
  const auto before = testlib::LakeFiles(fail);
  ASSERT_EQ(Sql("ALTER TABLE orders ADD COLUMN coupon varchar(20)"), "");
  AddOrders(6, 7, ", coupon", ", 'SPRING'");
  StatusOr<EtlResult> r = RunEtl(fail, {});
  EXPECT_THAT(r, StatusIs(StatusCode::kFailedPrecondition,
                          HasSubstr("column 'coupon' added (character varying(20))")));
  EXPECT_EQ(testlib::LakeFiles(fail), before);

  config::Project update =
      Project("table = \"orders\"\nincremental_column = \"id\"\non_schema_change = \"update\"\n");
  ASSERT_OK_AND_ASSIGN(EtlResult ok, RunEtl(update, {}));
  EXPECT_EQ(ok.accepted, 2u);
  ASSERT_OK_AND_ASSIGN(auto cat, catalog::Catalog::Open(update.catalog_path));
  ASSERT_OK_AND_ASSIGN(auto current, cat->CurrentSchema("orders"));
  ASSERT_TRUE(current.has_value());
  EXPECT_EQ(current->columns.back(), (catalog::ColumnSchema{"coupon", "character varying(20)"}));
}

TEST_F(PostgresSourceTest, BadInputsFailWithOneLineWithoutThePassword) {
  config::Project p = Project("table = \"orders\"\nincremental_column = \"id\"\n");
  ASSERT_OK(RunEtl(p, {}).status());
  const auto before = testlib::LakeFiles(p);
  auto clear_line =
      AllOf(HasSubstr("source 'orders': "), Not(HasSubstr("\n")), Not(HasSubstr(kPassword)));

  // Wrong credentials.
  ::setenv(kPasswordEnv, "wrong-password-123", 1);
  StatusOr<EtlResult> r = RunEtl(p, {});
  EXPECT_THAT(
      r, StatusIs(StatusCode::kUnavailable, AllOf(HasSubstr("cannot connect to PostgreSQL"),
                                                  HasSubstr("password authentication failed"))));
  EXPECT_THAT(r.status().message(), AllOf(clear_line, Not(HasSubstr("wrong-password-123"))));
  ::setenv(kPasswordEnv, kPassword, 1);

  // The variable holding the password is not set.
  ::unsetenv(kPasswordEnv);
  r = RunEtl(p, {});
  EXPECT_THAT(r, StatusIs(StatusCode::kFailedPrecondition,
                          HasSubstr("environment variable RECMART_TEST_PG_PASSWORD (password_env) "
                                    "is not set")));
  ::setenv(kPasswordEnv, kPassword, 1);

  // Unreachable: nothing listens on that port.
  config::Project unreachable = testlib::ParseOrDie(
      tmp_.path(), testlib::ProjectText("type = \"postgres\"\nconnection = \"host=127.0.0.1 port=" +
                                        std::to_string(FreePort()) + " dbname=x user=recmart " +
                                        "connect_timeout=3\"\npassword_env = \"" + kPasswordEnv +
                                        "\"\ntable = \"orders\"\n"));
  r = RunEtl(unreachable, {});
  EXPECT_THAT(r, StatusIs(StatusCode::kUnavailable, HasSubstr("cannot connect to PostgreSQL")));
  EXPECT_THAT(r.status().message(), clear_line);

  // A query error.
  config::Project bad_query = Project("query = \"SELECT id, nonsense FROM orders\"\n");
  r = RunEtl(bad_query, {});
  EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument,
                          HasSubstr("query failed: column \"nonsense\" does not exist")));
  EXPECT_THAT(r.status().message(), clear_line);

  // The table vanished.
  ASSERT_EQ(Sql("DROP TABLE orders"), "");
  r = RunEtl(p, {});
  EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument,
                          HasSubstr("query failed: relation \"orders\" does not exist")));
  EXPECT_THAT(r.status().message(), clear_line);

  EXPECT_EQ(testlib::LakeFiles(p), before);
  EXPECT_THAT(testlib::Rows(p, "SELECT count(*) FROM interactions"), ElementsAre("11"));
  // Nothing the runs wrote holds the password: extracts, catalog, run records.
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(p.lake_root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(all.find(kPassword), std::string::npos) << it->path();
  }
}

}  // namespace
}  // namespace recmart::etl
