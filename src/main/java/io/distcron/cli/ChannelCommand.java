package io.distcron.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code distcron channel ...}: the alert channels jobs' notify rules name. */
@Command(
    name = "channel",
    mixinStandardHelpOptions = true,
    description = "Manage alert channels (webhook, slack, email) and send test alerts.",
    subcommands = {
      ChannelCommand.Ls.class,
      ChannelCommand.Show.class,
      ChannelCommand.Set.class,
      ChannelCommand.Rm.class,
      ChannelCommand.Test.class
    })
final class ChannelCommand extends GroupCommand {
  static String path(String name) {
    return "/channels/" + Api.segment(name);
  }

  @Command(name = "ls", mixinStandardHelpOptions = true, description = "The channels.")
  static final class Ls extends ApiCommand {
    @Override
    void run(Api api, Printer out) {
      JsonNode body = api.get("/channels");
      if (out.json()) {
        out.json(body);
        return;
      }
      Table table = new Table("NAME", "TYPE", "TARGET", "HEALTHY", "FAILURES", "LAST ERROR");
      for (JsonNode c : body.path("items")) {
        JsonNode h = c.path("health");
        table.row(
            Text.str(c, "name"),
            Text.str(c, "type"),
            target(c),
            h.path("healthy").asBoolean() ? "yes" : "NO",
            Text.str(h, "consecutiveFailures"),
            Text.str(h, "lastError"));
      }
      table.print(out.writer());
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "One channel.")
  static final class Show extends ApiCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    void run(Api api, Printer out) {
      JsonNode c = api.get(path(name));
      if (out.json()) {
        out.json(c);
        return;
      }
      JsonNode h = c.path("health");
      new Fields()
          .add("name", Text.str(c, "name"))
          .add("type", Text.str(c, "type"))
          .add("target", target(c))
          .add("secret", c.path("secretSet").asBoolean() ? "set" : "none")
          .add("healthy", h.path("healthy").asBoolean() ? "yes" : "no")
          .add("failures in a row", Text.str(h, "consecutiveFailures"))
          .add("last error", Text.str(h, "lastError"))
          .add("last failure", Text.time(h.get("lastFailureAt")))
          .add("last success", Text.time(h.get("lastSuccessAt")))
          .print(out.writer());
    }
  }

  @Command(
      name = "set",
      mixinStandardHelpOptions = true,
      description =
          "Create or replace a channel, from flags or a JSON/YAML file (as the API takes it)."
              + " A secret left out keeps the stored one.")
  static final class Set extends ApiCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Option(
        names = {"-f", "--file"},
        paramLabel = "FILE",
        description = "The channel as JSON or YAML ('-': standard input).")
    String file;

    @Option(names = "--type", paramLabel = "TYPE", description = "webhook, slack or email.")
    String type;

    // Not --url: that is the node's address, on every command.
    @Option(
        names = "--endpoint",
        paramLabel = "URL",
        description = "Where a webhook or slack channel posts (its url).")
    String endpoint;

    @Option(
        names = "--secret",
        paramLabel = "SECRET",
        description = "A webhook's HMAC secret (X-Distcron-Signature).")
    String secret;

    @Override
    void run(Api api, Printer out) {
      ObjectNode body = file == null ? Api.JSON.createObjectNode() : JobFile.read(file, System.in);
      if (type != null) body.put("type", type);
      if (endpoint != null) body.put("url", endpoint);
      if (secret != null) body.put("secret", secret);
      if (!body.has("type")) throw CliException.usage("give --type, or a file with a type");
      JsonNode c = api.put(path(name), body);
      out.result(c, "saved channel " + Text.str(c, "name"));
    }
  }

  @Command(
      name = "rm",
      mixinStandardHelpOptions = true,
      description = "Delete a channel no job's rule names.")
  static final class Rm extends ApiCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    void run(Api api, Printer out) {
      api.delete(path(name));
      if (!out.json()) out.line("deleted channel " + name);
    }
  }

  @Command(
      name = "test",
      mixinStandardHelpOptions = true,
      description = "Send a test alert to the channel now. Exit code 1 when it was not delivered.")
  static final class Test extends ApiCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    void run(Api api, Printer out) {
      JsonNode r = api.post(path(name) + "/test");
      if (out.json()) out.json(r);
      if (!r.path("delivered").asBoolean()) {
        throw CliException.api("test alert to " + name + " failed: " + Text.str(r, "error"));
      }
      if (!out.json()) out.line("delivered a test alert to " + name);
    }
  }

  /** Where a channel sends: its URL, or its mail recipients. */
  private static String target(JsonNode c) {
    if (c.hasNonNull("url")) return Text.str(c, "url");
    JsonNode to = c.path("email").path("to");
    StringBuilder s = new StringBuilder();
    to.forEach(a -> s.append(s.length() == 0 ? "" : ",").append(a.asText()));
    return s.toString();
  }
}
