package io.distcron.api;

/**
 * A request the API refuses, with the HTTP status and the field it is about (null: the whole
 * request).
 */
public final class ApiError extends RuntimeException {
  private final int status;
  private final String field;

  public ApiError(int status, String field, String message) {
    super(message, null, false, false);
    this.status = status;
    this.field = field;
  }

  public static ApiError badRequest(String field, String message) {
    return new ApiError(400, field, message);
  }

  public static ApiError notFound(String message) {
    return new ApiError(404, null, message);
  }

  public int status() {
    return status;
  }

  public String field() {
    return field;
  }
}
