package io.distcron.store;

/**
 * A run store or job index operation failed; the cause is the database's (or JSON mapper's) error.
 */
public final class StoreException extends RuntimeException {

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
