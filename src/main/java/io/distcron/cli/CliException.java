package io.distcron.cli;

/**
 * A failure the CLI reports as one line on stderr and an exit code, never as a stack trace: the API
 * refused (1), the node cannot be reached (1), or the user's input is wrong in a way picocli cannot
 * see (2).
 */
final class CliException extends RuntimeException {
  static final int API = 1;
  static final int USAGE = 2;

  private final int exitCode;

  CliException(int exitCode, String message) {
    super(message, null, false, false);
    this.exitCode = exitCode;
  }

  static CliException api(String message) {
    return new CliException(API, message);
  }

  static CliException usage(String message) {
    return new CliException(USAGE, message);
  }

  int exitCode() {
    return exitCode;
  }
}
