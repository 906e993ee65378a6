package io.distcron.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * API tokens. Only a SHA-256 of each token is stored: tokens are long random strings, so a plain
 * hash is enough to make a leaked table useless, and it keeps the per-request lookup a single
 * indexed read.
 */
public final class TokenStore {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** {@code token} is only ever known at creation. */
  public record Created(Token token, String secret) {}

  public record Token(String id, String name, String role, Instant createdAt) {}

  private final DataSource ds;

  public TokenStore(DataSource ds) {
    this.ds = ds;
  }

  public static String hash(String secret) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  public Created create(String name, String role) {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    String secret = "dct_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    Token token = new Token(UUID.randomUUID().toString(), name, role, Instant.now());
    String sql =
        "INSERT INTO api_tokens (id, name, role, token_hash, created_at) VALUES (?, ?, ?, ?, ?)";
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, token.id());
      ps.setString(2, name);
      ps.setString(3, role);
      ps.setString(4, hash(secret));
      ps.setTimestamp(5, Timestamp.from(token.createdAt()));
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("could not create token: " + e.getMessage(), e);
    }
    return new Created(token, secret);
  }

  public Optional<Token> findBySecret(String secret) {
    String sql = "SELECT id, name, role, created_at FROM api_tokens WHERE token_hash = ?";
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, hash(secret));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(token(rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new StoreException("could not look up token: " + e.getMessage(), e);
    }
  }

  public List<Token> list() {
    String sql = "SELECT id, name, role, created_at FROM api_tokens ORDER BY created_at";
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      List<Token> tokens = new ArrayList<>();
      while (rs.next()) tokens.add(token(rs));
      return tokens;
    } catch (SQLException e) {
      throw new StoreException("could not list tokens: " + e.getMessage(), e);
    }
  }

  public boolean delete(String id) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("DELETE FROM api_tokens WHERE id = ?")) {
      ps.setString(1, id);
      return ps.executeUpdate() > 0;
    } catch (SQLException e) {
      throw new StoreException("could not delete token: " + e.getMessage(), e);
    }
  }

  private static Token token(ResultSet rs) throws SQLException {
    return new Token(
        rs.getString(1), rs.getString(2), rs.getString(3), rs.getTimestamp(4).toInstant());
  }
}
