// What DBeaver-style tools ask pgjdbc's DatabaseMetaData, run against Spoke by corpus.test.ts's
// recording (`java -cp /usr/share/java/postgresql.jar JdbcMetadata.java`). Prints `call<TAB>rows`
// or `call<TAB>ERROR <SQLSTATE> <message>` per call.

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Properties;
import java.util.concurrent.Callable;

public class JdbcMetadata {
  static void count(String name, Callable<ResultSet> call) {
    try (ResultSet rs = call.call()) {
      int n = 0;
      while (rs.next()) n++;
      System.out.println(name + "\t" + n);
    } catch (SQLException e) {
      System.out.println(name + "\tERROR " + e.getSQLState() + " " + e.getMessage().split("\n")[0]);
    } catch (Exception e) {
      System.out.println(name + "\tERROR " + e);
    }
  }

  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.setProperty("user", System.getenv("PGUSER"));
    props.setProperty("password", System.getenv("PGPASSWORD"));
    props.setProperty("sslmode", "disable");
    String url = "jdbc:postgresql://127.0.0.1:" + System.getenv("PGPORT") + "/spoke";
    try (Connection c = DriverManager.getConnection(url, props)) {
      DatabaseMetaData md = c.getMetaData();
      count("getCatalogs", md::getCatalogs);
      count("getSchemas", md::getSchemas);
      count("getTableTypes", md::getTableTypes);
      count("getTables", () -> md.getTables(null, "crm", "%", null));
      count("getColumns", () -> md.getColumns(null, "crm", "customers", "%"));
      count("getPrimaryKeys", () -> md.getPrimaryKeys(null, "crm", "customers"));
      count("getImportedKeys", () -> md.getImportedKeys(null, "crm", "customers"));
      count("getExportedKeys", () -> md.getExportedKeys(null, "crm", "customers"));
      count("getIndexInfo", () -> md.getIndexInfo(null, "crm", "customers", false, true));
      count("getTypeInfo", md::getTypeInfo);
      count("getFunctions", () -> md.getFunctions(null, "crm", "%"));
      count("getProcedures", () -> md.getProcedures(null, "crm", "%"));
      count("getTablePrivileges", () -> md.getTablePrivileges(null, "crm", "customers"));
      count("getVersionColumns", () -> md.getVersionColumns(null, "crm", "customers"));
      count("getBestRowIdentifier", () -> md.getBestRowIdentifier(null, "crm", "customers", DatabaseMetaData.bestRowSession, true));
      System.out.println("product\t" + md.getDatabaseProductName() + " " + md.getDatabaseProductVersion());
    }
  }
}
