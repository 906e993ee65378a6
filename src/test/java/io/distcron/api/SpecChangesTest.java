package io.distcron.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.distcron.job.JobSpec;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SpecChangesTest {
  private static final ObjectMapper MAPPER = new ObjectMapper().findAndRegisterModules();
  private static final Instant NOW = Instant.parse("2026-12-01T00:00:00Z");

  private static JobSpec spec(String json) throws Exception {
    return JobSpecs.toSpec(MAPPER.readValue(json, Dtos.JobRequest.class), null, NOW);
  }

  private static final String BASE =
      """
      {"name": "backup", "labels": {"team": "ops"}, "schedule": "@daily",
       "shell": {"command": "pg_dump", "env": {"A": "1"}}}
      """;

  @Test
  void namesEachChangedFieldAsTheApiDoes() throws Exception {
    JobSpec after =
        spec(
            """
            {"name": "backup", "labels": {"team": "db"}, "schedule": "@hourly",
             "shell": {"command": "pg_dump", "env": {"A": "1", "B": "2"}}, "retry": {"maxAttempts": 3}}
            """);
    assertThat(SpecChanges.between(spec(BASE), after, MAPPER))
        .containsExactly("labels.team", "schedule", "shell.env.B", "retry.maxAttempts");
  }

  @Test
  void aDefaultWrittenOutIsNoChange() throws Exception {
    JobSpec explicit =
        spec(
            """
            {"name": "backup", "labels": {"team": "ops"}, "schedule": "@daily", "timeoutSeconds": 3600,
             "overlap": "SKIP", "shell": {"command": "pg_dump", "env": {"A": "1"}}}
            """);
    assertThat(SpecChanges.between(spec(BASE), explicit, MAPPER)).isEmpty();
  }

  @Test
  void anActionOfAnotherKindIsNamedWholeAndAnAdoptionByItsOwner() throws Exception {
    JobSpec noop =
        spec("{\"name\": \"backup\", \"labels\": {\"team\": \"ops\"}, \"schedule\": \"@daily\","
                + " \"noop\": {}}")
            .withManagedBy("git:ops");
    assertThat(SpecChanges.between(spec(BASE), noop, MAPPER))
        .containsExactly("shell", "noop", "managedBy");
  }
}
