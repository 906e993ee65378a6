package io.distcron.job;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.Map;

/** What a job runs. Polymorphic inside events, so it carries its own type tag. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = Action.Shell.class, name = "shell"),
  @JsonSubTypes.Type(value = Action.Noop.class, name = "noop")
})
public sealed interface Action {

  /** {@code /bin/sh -c command}, with extra environment and an optional working directory. */
  record Shell(String command, Map<String, String> env, String workingDir) implements Action {
    public Shell {
      env = env == null ? Map.of() : Map.copyOf(env);
    }
  }

  /** Records its tick and succeeds at once: heartbeat jobs and the benchmark. */
  record Noop() implements Action {}
}
