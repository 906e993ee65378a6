package io.distcron.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.distcron.job.JobEntity;
import io.distcron.job.JobSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The fields an update of a job changes, named as the API names them: {@code schedule}, {@code
 * shell.command}, {@code labels.team}. Both specs are compared as a job's GET shows them, so a
 * field left out and its default are the same, and an action of another kind ({@code shell} for
 * {@code http}) is named as a whole.
 */
final class SpecChanges {
  /** What a job's GET derives from its state or its schedule: not written, so never "changed". */
  private static final Set<String> DERIVED =
      Set.of("scheduleDescription", "status", "nextFireTimes", "lastScheduled", "lastRun", "stats");

  private SpecChanges() {}

  static List<String> between(JobSpec before, JobSpec after, ObjectMapper mapper) {
    List<String> changed = new ArrayList<>();
    diff("", shown(before, mapper), shown(after, mapper), changed);
    return changed;
  }

  private static JsonNode shown(JobSpec spec, ObjectMapper mapper) {
    JobEntity.JobView view = new JobEntity.JobView(spec, false, null, List.of(), 0, 0, 0, null);
    ObjectNode node = mapper.valueToTree(JobSpecs.toDto(spec, view, "", null, null, Instant.EPOCH));
    node.remove(DERIVED);
    return node;
  }

  /** Objects are compared field by field; anything else (text, numbers, lists) as a whole. */
  private static void diff(String path, JsonNode before, JsonNode after, List<String> changed) {
    if (before.equals(after)) return;
    if (!before.isObject() || !after.isObject()) {
      changed.add(path);
      return;
    }
    // The job's own fields in the API's order; a map's keys (labels, env) sorted.
    Collection<String> keys = path.isEmpty() ? new LinkedHashSet<>() : new TreeSet<>();
    before.fieldNames().forEachRemaining(keys::add);
    for (Iterator<String> it = after.fieldNames(); it.hasNext(); ) keys.add(it.next());
    for (String key : keys) {
      diff(path.isEmpty() ? key : path + "." + key, before.path(key), after.path(key), changed);
    }
  }
}
