// pgjdbc (Debian's libpostgresql-jdbc-java) against Spoke, run by jdbc.test.ts as
// `java -cp /usr/share/java/postgresql.jar JdbcClient.java`. Prints one `key<TAB>value`
// line per check; the test compares the values with DuckDB's answers.

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Types;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

public class JdbcClient {
  static void print(String key, Object value) {
    System.out.println(key + "\t" + String.valueOf(value).replace("\n", "\\n"));
  }

  static String rows(ResultSet rs) throws Exception {
    List<String> out = new ArrayList<>();
    int n = rs.getMetaData().getColumnCount();
    while (rs.next()) {
      List<String> row = new ArrayList<>();
      for (int i = 1; i <= n; i++) row.add(rs.getString(i));
      out.add(String.join("|", row));
    }
    return String.join(";", out);
  }

  public static void main(String[] args) throws Exception {
    String url = "jdbc:postgresql://127.0.0.1:" + System.getenv("PGPORT") + "/spoke";
    for (String mode : new String[] {"text", "binary"}) {
      Properties props = new Properties();
      props.setProperty("user", System.getenv("PGUSER"));
      props.setProperty("password", System.getenv("PGPASSWORD"));
      props.setProperty("sslmode", "disable");
      // binary: server-prepared from the first execution, so values travel in binary both ways.
      if (mode.equals("binary")) props.setProperty("prepareThreshold", "-1");
      try (Connection c = DriverManager.getConnection(url, props)) {
        try (PreparedStatement ps = c.prepareStatement(
            "SELECT id, name, balance FROM crm.customers WHERE balance > ? AND id < ? AND name <> ? ORDER BY id")) {
          ps.setBigDecimal(1, new BigDecimal("100.00"));
          ps.setInt(2, 84);
          ps.setString(3, "customer 82");
          print(mode + ".bigdecimal", rows(ps.executeQuery()));
        }
        try (PreparedStatement ps = c.prepareStatement(
            "SELECT id, b, i2, i8, f4, f8, dec, txt, d, ts, big_dec FROM crm.types WHERE id <> ? ORDER BY id")) {
          ps.setLong(1, 99L);
          print(mode + ".types", rows(ps.executeQuery()));
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT CAST(? AS integer) IS NULL AS isnull")) {
          ps.setNull(1, Types.INTEGER);
          print(mode + ".null", rows(ps.executeQuery()));
        }
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
          st.setFetchSize(5000);
          long n = 0, sum = 0;
          try (ResultSet rs = st.executeQuery("SELECT id FROM crm.big")) {
            while (rs.next()) {
              n++;
              sum += rs.getLong(1);
            }
          }
          print(mode + ".fetchsize", n + "|" + sum);
        }
        c.commit();
        c.setAutoCommit(true);
      }
    }
    Properties props = new Properties();
    props.setProperty("user", System.getenv("PGUSER"));
    props.setProperty("password", System.getenv("PGPASSWORD"));
    try (Connection c = DriverManager.getConnection(url, props)) {
      DatabaseMetaData md = c.getMetaData();
      List<String> tables = new ArrayList<>();
      try (ResultSet rs = md.getTables(null, "crm", "%", new String[] {"TABLE"})) {
        while (rs.next()) tables.add(rs.getString("TABLE_NAME"));
      }
      print("meta.tables", String.join(",", tables));
      List<String> columns = new ArrayList<>();
      try (ResultSet rs = md.getColumns(null, "crm", "customers", "%")) {
        while (rs.next()) columns.add(rs.getString("COLUMN_NAME") + ":" + rs.getString("TYPE_NAME"));
      }
      print("meta.columns", String.join(",", columns));
      CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
      StringWriter w = new StringWriter();
      long copied = copy.copyOut("COPY (SELECT id, name FROM crm.customers WHERE id <= 2 ORDER BY id) TO STDOUT WITH (FORMAT csv)", w);
      print("copy", copied + ":" + w);
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW transaction_isolation")) {
        print("isolation", rows(rs));
      }
      print("driver", md.getDriverVersion());
    }
    // TLS verified against the gateway's certificate (CN and SAN 127.0.0.1), SCRAM inside it.
    Properties tls = new Properties();
    tls.setProperty("user", System.getenv("PGUSER"));
    tls.setProperty("password", System.getenv("PGPASSWORD"));
    tls.setProperty("sslmode", "verify-full");
    tls.setProperty("sslrootcert", System.getenv("SPOKE_CERT"));
    try (Connection c = DriverManager.getConnection(url, tls);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM crm.customers")) {
      print("tls", rows(rs));
    }
  }
}
