#include <limits>
#include <string>

#include <catch2/catch.hpp>

#include "recrl/core/errors.hpp"
#include "recrl/toolkit/csv.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using recrl::toolkit::CsvTable;

TEST_CASE("csv reads a header and rows with columns by name", "[unit][csv]") {
  const auto table = CsvTable::parse("a,b,c\n1,2,3\n4,5,6\n", "t.csv");
  CHECK(table.columns() == 3);
  CHECK(table.rows() == 2);
  REQUIRE(table.find_column("b"));
  CHECK(*table.find_column("b") == 1);
  CHECK_FALSE(table.find_column("z"));
  CHECK(table.text(1, 2) == "6");
  CHECK(table.number(0, table.require_column("c")) == Approx(3.0));
  CHECK(table.line(0) == 2);
  CHECK(table.line(1) == 3);
}

TEST_CASE("csv handles CRLF line ends a byte-order mark and blank lines", "[unit][csv]") {
  const auto table = CsvTable::parse("\xEF\xBB\xBFx,y\r\n1,2\r\n\r\n3,4\r\n\r\n", "t.csv");
  CHECK(table.header()[0] == "x");
  CHECK(table.rows() == 2);
  CHECK(table.text(1, 1) == "4");
  CHECK(table.line(1) == 4);  // the blank line still counts
}

TEST_CASE("csv follows RFC 4180 quoting", "[unit][csv]") {
  const auto table = CsvTable::parse(
      "name,note\n\"Smith, J\",\"said \"\"hi\"\"\"\n\"two\nlines\",x\nlast,\n", "t.csv");
  REQUIRE(table.rows() == 3);
  CHECK(table.text(0, 0) == "Smith, J");
  CHECK(table.text(0, 1) == "said \"hi\"");
  CHECK(table.text(1, 0) == "two\nlines");
  CHECK(table.line(2) == 5);  // the quoted line break moved the next row down
  CHECK(table.text(2, 1).empty());
}

TEST_CASE("csv without a final line break reads the last row", "[unit][csv]") {
  const auto table = CsvTable::parse("a\n1\n2", "t.csv");
  CHECK(table.rows() == 2);
  CHECK(table.text(1, 0) == "2");
}

TEST_CASE("csv parses numbers strictly and reports file line and column", "[unit][csv]") {
  const auto table =
      CsvTable::parse("id,monetary_value,rate\n1, 12.5 ,+0.5\n2,-3,1e-1\n3,abc,nan\n", "users.csv");
  CHECK(table.number(0, 1) == Approx(12.5));
  CHECK(table.number(0, 2, 0.0, 1.0) == Approx(0.5));
  CHECK(table.number(1, 2, 0.0, 1.0) == Approx(0.1));
  CHECK_THROWS_WITH(table.number(1, 1, 0.0, std::numeric_limits<double>::infinity()),
                    Equals("users.csv:3:2: error: column 'monetary_value': expected a number >= 0, "
                           "got '-3'"));
  CHECK_THROWS_WITH(table.number(2, 1),
                    Equals("users.csv:4:2: error: column 'monetary_value': expected a finite "
                           "number, got 'abc'"));
  CHECK_THROWS_WITH(table.number(2, 2, 0.0, 1.0),
                    Equals("users.csv:4:3: error: column 'rate': expected a number in [0, 1], "
                           "got 'nan'"));
  CHECK_THROWS_AS(table.number(2, 2), recrl::DataError);
}

TEST_CASE("csv rejects a row with the wrong number of fields naming its line", "[unit][csv]") {
  CHECK_THROWS_WITH(CsvTable::parse("a,b,c\n1,2,3\n4,5\n", "t.csv"),
                    Equals("t.csv:3:3: error: the row has 2 fields but the header has 3"));
  CHECK_THROWS_WITH(CsvTable::parse("a,b\n1,2,3\n", "t.csv"),
                    Equals("t.csv:2:3: error: the row has 3 fields but the header has 2"));
}

TEST_CASE("csv rejects empty and header-only files", "[unit][csv]") {
  CHECK_THROWS_WITH(CsvTable::parse("", "t.csv"), Contains("t.csv: error: the CSV file is empty"));
  CHECK_THROWS_WITH(CsvTable::parse("\n\r\n", "t.csv"), Contains("is empty"));
  CHECK_THROWS_WITH(CsvTable::parse("a,b\n", "t.csv"),
                    Contains("t.csv: error: ") && Contains("no data rows"));
}

TEST_CASE("csv rejects broken quoting and bad headers", "[unit][csv]") {
  CHECK_THROWS_WITH(CsvTable::parse("a,b\n1,\"open\n2,3\n", "t.csv"),
                    Contains("t.csv:2:2: error: a quoted field is never closed"));
  CHECK_THROWS_WITH(CsvTable::parse("a,b\n1,\"x\"y\n", "t.csv"),
                    Contains("t.csv:2:2: error: text after the closing"));
  CHECK_THROWS_WITH(CsvTable::parse("a,b\n1,x\"y\n", "t.csv"),
                    Contains("t.csv:2:2: error: a '\"'"));
  CHECK_THROWS_WITH(CsvTable::parse("a,a\n1,2\n", "t.csv"),
                    Contains("t.csv:1:2: error: the header names column 'a' twice"));
  CHECK_THROWS_WITH(CsvTable::parse("a,,c\n1,2,3\n", "t.csv"), Contains("t.csv:1:2: error: "));
}

TEST_CASE("csv names the missing column and what the header has", "[unit][csv]") {
  const auto table = CsvTable::parse("a,b\n1,2\n", "t.csv");
  CHECK_THROWS_WITH(table.require_column("recency"),
                    Equals("t.csv:1:1: error: missing column 'recency' (the header has: a, b)"));
}

TEST_CASE("csv read_file reports a missing file", "[unit][csv]") {
  CHECK_THROWS_WITH(CsvTable::read_file("/nonexistent/users.csv"),
                    Equals("/nonexistent/users.csv: error: cannot read the CSV file: No such file or directory"));
}
