package io.distcron.run;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;
import java.util.Map;

/** What a job runs. Polymorphic inside events, so it carries its own type tag. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = Action.Shell.class, name = "shell"),
  @JsonSubTypes.Type(value = Action.Noop.class, name = "noop"),
  @JsonSubTypes.Type(value = Action.Http.class, name = "http")
})
public sealed interface Action {

  /**
   * {@code /bin/sh -c command}, with extra environment, an optional working directory and an
   * optional OS user to run as (null: the node's own).
   */
  record Shell(String command, Map<String, String> env, String workingDir, String user)
      implements Action {
    public Shell {
      env = env == null ? Map.of() : Map.copyOf(env);
    }
  }

  /**
   * An HTTP request. {@code expectStatus} empty means any 2xx; {@code timeoutSeconds} null means
   * the job's timeout.
   */
  record Http(
      String method,
      String url,
      Map<String, String> headers,
      String body,
      Integer timeoutSeconds,
      List<Integer> expectStatus)
      implements Action {
    public Http {
      method = method == null ? "GET" : method;
      headers = headers == null ? Map.of() : Map.copyOf(headers);
      expectStatus = expectStatus == null ? List.of() : List.copyOf(expectStatus);
    }

    public boolean expected(int status) {
      return expectStatus.isEmpty() ? status >= 200 && status < 300 : expectStatus.contains(status);
    }
  }

  /** Records its tick and succeeds at once: heartbeat jobs and the benchmark. */
  record Noop() implements Action {}
}
