package io.distcron.alert;

import java.time.Instant;

/**
 * One alert as receivers get it (a webhook's JSON body). {@code key}: the same for every send of
 * this occurrence, whichever node sends it and however often, so a receiver can drop a repeat.
 * {@code kind}: an {@link AlertKind}, or TEST for a channel's test message.
 */
public record Alert(
    String key,
    String kind,
    String job,
    String runId,
    Instant tick,
    int attempt,
    String node,
    String status,
    String message,
    Instant at) {

  /** One line for people: a chat message, a mail's subject. */
  public String summary() {
    if ("TEST".equals(kind)) return "distcron test message: " + message;
    String what = "distcron job " + job + ": " + kind;
    String run = runId == null ? "" : " (run " + runId + ", attempt " + attempt + ", tick " + tick;
    String where = node == null ? "" : ", node " + node;
    String tail = runId == null ? "" : ")";
    return what + run + where + tail + (message == null || message.isBlank() ? "" : ": " + message);
  }
}
