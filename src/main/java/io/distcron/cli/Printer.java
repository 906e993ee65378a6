package io.distcron.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;

/** Where a command's result goes: the API's JSON with {@code --json}, otherwise text for people. */
final class Printer {
  private final PrintWriter out;
  private final boolean json;

  Printer(PrintWriter out, boolean json) {
    this.out = out;
    this.json = json;
  }

  boolean json() {
    return json;
  }

  PrintWriter writer() {
    return out;
  }

  /**
   * Pretty-printed: the same JSON the API sent, readable without jq. Nothing for an empty answer.
   */
  void json(JsonNode body) {
    if (body == null || body.isMissingNode()) return;
    try {
      out.println(Api.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    out.flush();
  }

  void line(String text) {
    out.println(Text.clean(text));
    out.flush();
  }

  /** With {@code --json} the API's answer, otherwise a one-line summary. */
  void result(JsonNode body, String summary) {
    if (json) json(body);
    else line(summary);
  }
}
