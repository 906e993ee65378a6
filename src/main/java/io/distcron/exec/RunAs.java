package io.distcron.exec;

import java.util.regex.Pattern;

/**
 * A shell command run as another OS user, as a per-user crontab runs its lines as its owner:
 * through util-linux's {@code runuser}, which needs the node to run as root. Like cron it sets
 * {@code HOME}, {@code SHELL}, {@code USER} and {@code LOGNAME} from the user's account and keeps
 * the rest of the environment (the job's own variables and {@code DISTCRON_*}).
 */
public final class RunAs {

  /** A portable POSIX user name (no quoting needed, no option look-alike). */
  public static final Pattern USER = Pattern.compile("[a-z_][a-z0-9_.-]{0,31}");

  private RunAs() {}

  /** Whether this JVM can run commands as another user. */
  public static boolean possible() {
    return "root".equals(System.getProperty("user.name"));
  }

  /** {@code command} for {@code /bin/sh -c}, run as {@code user}; as it is when user is null. */
  public static String command(String user, String command) {
    if (user == null) return command;
    if (!USER.matcher(user).matches()) throw new IllegalArgumentException("bad user " + user);
    return "exec runuser -u " + user + " -- /bin/sh -c " + singleQuoted(command);
  }

  private static String singleQuoted(String text) {
    return "'" + text.replace("'", "'\\''") + "'";
  }
}
