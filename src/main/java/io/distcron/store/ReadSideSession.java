package io.distcron.store;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.projection.jdbc.JdbcSession;

/**
 * One projection transaction on the run store's pool: Pekko runs the handler and the offset write
 * through {@link #withConnection}, then commits (or rolls back) and closes. The pool restores
 * auto-commit when the connection goes back.
 */
final class ReadSideSession implements JdbcSession {
  private final Connection connection;

  ReadSideSession(DataSource ds) {
    try {
      connection = ds.getConnection();
      connection.setAutoCommit(false);
    } catch (SQLException e) {
      throw new StoreException("cannot reach the database: " + e.getMessage(), e);
    }
  }

  @Override
  public <R> R withConnection(Function<Connection, R> func) throws Exception {
    return func.apply(connection);
  }

  @Override
  public void commit() throws SQLException {
    connection.commit();
  }

  @Override
  public void rollback() throws SQLException {
    connection.rollback();
  }

  @Override
  public void close() throws SQLException {
    connection.close();
  }
}
