package io.distcron.api;

/** What a token may do; each role may do everything the ones before it may. */
public enum Role {
  /** Read everything. */
  VIEWER,
  /** And steer: trigger, backfill, pause, resume, kill. */
  OPERATOR,
  /** And change: create, edit and delete jobs; manage tokens. */
  ADMIN;

  boolean allows(Role needed) {
    return compareTo(needed) >= 0;
  }
}
