package io.distcron.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A crontab file, as crontab(5) reads it, turned into distcron jobs. Pure: the caller reads the
 * file and sends the jobs.
 *
 * <ul>
 *   <li>An entry is five time fields (or a macro such as {@code @daily}) and a command; in a system
 *       crontab ({@code /etc/crontab}, {@code /etc/cron.d}) a user name follows the time fields.
 *   <li>{@code NAME=value} lines set the environment of the entries after them, as Vixie cron does;
 *       {@code CRON_TZ} sets their time zone, {@code SHELL} the shell that runs their commands
 *       ({@code /bin/sh} otherwise), {@code MAILTO} is warned about (distcron sends no mail).
 *   <li>In a command, the first unescaped {@code %} starts the command's standard input and later
 *       ones are newlines; {@code \%} is a plain {@code %}.
 *   <li>A {@code # name: NAME} comment names the entry after it; unnamed entries are named by their
 *       line number. {@code @reboot} has no equivalent and is refused.
 * </ul>
 */
final class Crontab {

  /** How to import: a name prefix, who runs the commands, and where. */
  record Options(String prefix, String user, String host, boolean system) {}

  /** The jobs, and what the import could not carry over but did not refuse. */
  record Parsed(List<ObjectNode> jobs, List<String> warnings) {}

  private static final Pattern ENV = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)\\s*=\\s*(.*)");
  private static final Pattern NAME_COMMENT =
      Pattern.compile("#\\s*name\\s*:\\s*(\\S+)\\s*", Pattern.CASE_INSENSITIVE);
  private static final Set<String> MACROS =
      Set.of("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly");
  private static final String STDIN_END = "DISTCRON_CRONTAB_INPUT";

  private Crontab() {}

  /**
   * @param file how the file is named in messages and descriptions
   * @throws CliException listing every line that cannot be imported, by number
   */
  static Parsed parse(String text, String file, Options options) {
    List<ObjectNode> jobs = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    Map<String, String> env = new LinkedHashMap<>();
    Set<String> names = new HashSet<>();
    String zone = null;
    String shell = null;
    String pendingName = null;
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      int number = i + 1;
      String line = lines[i].strip();
      if (line.isEmpty()) continue;
      if (line.startsWith("#")) {
        Matcher named = NAME_COMMENT.matcher(line);
        if (named.matches()) pendingName = named.group(1);
        continue;
      }
      Matcher assignment = ENV.matcher(line);
      if (assignment.matches()) {
        String name = assignment.group(1);
        String value = unquoted(assignment.group(2).strip());
        switch (name) {
          case "CRON_TZ" -> zone = value.isEmpty() ? null : value;
          case "SHELL" -> shell = value.isEmpty() || value.equals("/bin/sh") ? null : value;
          case "MAILTO" ->
              warnings.add(
                  file
                      + ":"
                      + number
                      + ": MAILTO is not carried over: distcron sends no mail; runs and their"
                      + " output are in the API and the console");
          default -> env.put(name, value);
        }
        continue;
      }
      try {
        ObjectNode job = entry(line, options, env, zone, shell);
        String name = name(options.prefix(), pendingName, number);
        pendingName = null;
        if (!names.add(name)) throw new IllegalArgumentException("a second job named " + name);
        job.put("name", name);
        job.put("description", description(file, line));
        jobs.add(job);
      } catch (IllegalArgumentException e) {
        errors.add(file + ":" + number + ": " + e.getMessage());
        pendingName = null;
      }
    }
    if (!errors.isEmpty()) {
      throw CliException.usage("nothing imported:\n  " + String.join("\n  ", errors));
    }
    return new Parsed(jobs, warnings);
  }

  private static ObjectNode entry(
      String line, Options options, Map<String, String> env, String zone, String shell) {
    String[] fields = line.split("\\s+");
    String first = fields[0].toLowerCase(Locale.ROOT);
    if (first.equals("@reboot")) {
      throw new IllegalArgumentException(
          "@reboot has no distcron equivalent (it runs when a machine starts, not on a"
              + " schedule): start it from the machine's service manager instead");
    }
    int timeFields = first.startsWith("@") ? 1 : 5;
    if (first.startsWith("@") && !MACROS.contains(first)) {
      throw new IllegalArgumentException("unknown macro " + fields[0]);
    }
    int commandAt = timeFields + (options.system() ? 1 : 0);
    if (fields.length <= commandAt) {
      throw new IllegalArgumentException(
          "expected "
              + (timeFields == 1 ? "a macro" : "5 time fields")
              + (options.system() ? ", a user" : "")
              + " and a command");
    }
    String schedule = String.join(" ", java.util.Arrays.copyOf(fields, timeFields));
    String user = options.system() ? fields[timeFields] : options.user();
    String command = command(afterFields(line, commandAt), shell);

    ObjectNode job = Api.JSON.createObjectNode();
    job.put("schedule", schedule);
    if (zone != null) job.put("timezone", zone);
    job.putObject("labels").put("source", "crontab");
    ObjectNode sh = job.putObject("shell");
    sh.put("command", command);
    if (!env.isEmpty()) sh.set("env", Api.JSON.valueToTree(env));
    if (user != null) sh.put("user", user);
    if (options.host() != null) {
      job.putObject("target").putObject("nodeSelector").put("host", options.host());
    }
    return job;
  }

  /** The rest of the line after {@code n} whitespace-separated fields, spacing kept. */
  private static String afterFields(String line, int n) {
    Matcher m = Pattern.compile("(?:\\S+\\s+){" + n + "}").matcher(line);
    if (!m.lookingAt()) throw new IllegalArgumentException("no command");
    return line.substring(m.end());
  }

  /**
   * crontab(5)'s {@code %}: the command up to the first unescaped one, then standard input (a here
   * document), with {@code \%} kept as {@code %}. Under a {@code SHELL} other than sh, the script
   * is handed to that shell.
   */
  static String command(String raw, String shell) {
    StringBuilder command = new StringBuilder();
    StringBuilder input = null;
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      StringBuilder into = input == null ? command : input;
      if (c == '\\' && i + 1 < raw.length() && raw.charAt(i + 1) == '%') {
        into.append('%');
        i++;
      } else if (c == '%') {
        if (input == null) input = new StringBuilder();
        else input.append('\n');
      } else {
        into.append(c);
      }
    }
    String script = command.toString().strip();
    if (script.isEmpty()) throw new IllegalArgumentException("no command");
    if (input != null) {
      script += " <<'" + STDIN_END + "'\n" + input + "\n" + STDIN_END;
    }
    if (shell == null) return script;
    return "exec " + shell + " -c '" + script.replace("'", "'\\''") + "'";
  }

  private static String name(String prefix, String given, int line) {
    String name = prefix + (given != null ? given : "line-" + line);
    return name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "-");
  }

  /** A prefix from a file name: {@code /var/spool/cron/crontabs/alice} gives {@code alice-}. */
  static String prefixOf(String fileName) {
    String base = fileName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "-");
    base = base.replaceAll("^[^a-z0-9]+", "");
    return base.isEmpty() ? "crontab-" : base + "-";
  }

  private static String description(String file, String line) {
    String text = "from " + file + ": " + line;
    return text.length() <= 2000 ? text : text.substring(0, 1997) + "...";
  }

  private static String unquoted(String value) {
    if (value.length() >= 2
        && (value.startsWith("\"") && value.endsWith("\"")
            || value.startsWith("'") && value.endsWith("'"))) {
      return value.substring(1, value.length() - 1);
    }
    return value;
  }
}
