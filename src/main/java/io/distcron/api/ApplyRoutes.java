package io.distcron.api;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.distcron.alert.NotifyRule;
import io.distcron.job.BulkApply;
import io.distcron.job.JobEntity;
import io.distcron.job.JobSpec;
import io.distcron.store.ChannelStore;
import io.distcron.store.Stores;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code POST /api/v1/apply}: jobs as code, many at once, under one owner. Every job is checked
 * before any is applied: one invalid job (400) or one that another owner manages (409) and nothing
 * is applied. Applying is idempotent, so after a failure part-way (the cluster did not answer) the
 * same request finishes the work.
 */
final class ApplyRoutes {
  static final int MAX_JOBS = 10_000;

  /**
   * The server answers 503 after 20 s by default; ten thousand new jobs on a busy cluster take
   * longer than that (each starts an entity), and the client is waiting for exactly this answer.
   */
  private static final Duration TIMEOUT = Duration.ofMinutes(5);

  /** An owner names where the jobs come from: "git:ops-repo", "crontab:web1:/etc/crontab". */
  private static final Pattern OWNER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/@+=-]{0,199}");

  private final BulkApply bulk;
  private final BulkApply.Index index;
  private final Json json;
  private final Clock clock;
  private final long maxBodyBytes;

  private final ChannelStore channels;
  private final Stores stores;

  ApplyRoutes(
      BulkApply bulk,
      BulkApply.Index index,
      ChannelStore channels,
      Stores stores,
      Json json,
      Clock clock,
      long maxBodyBytes) {
    this.channels = channels;
    this.stores = stores;
    this.bulk = bulk;
    this.index = index;
    this.json = json;
    this.clock = clock;
    this.maxBodyBytes = maxBodyBytes;
  }

  Route route() {
    return path(
        "apply",
        () ->
            post(
                () ->
                    withRequestTimeout(TIMEOUT, () -> Inputs.jsonBody(maxBodyBytes, this::apply))));
  }

  private Route apply(String body) {
    Dtos.ApplyRequest r = json.read(body, Dtos.ApplyRequest.class);
    String owner = owner(r.managedBy());
    if (r.jobs() == null) {
      throw ApiError.badRequest("jobs", "jobs is required: a list of jobs (empty with prune)");
    }
    if (r.jobs().size() > MAX_JOBS) {
      throw ApiError.badRequest("jobs", "at most " + MAX_JOBS + " jobs per request");
    }
    boolean dryRun = Boolean.TRUE.equals(r.dryRun());
    boolean prune = Boolean.TRUE.equals(r.prune());
    Instant now = clock.instant();
    List<JobSpec> specs = new ArrayList<>();
    List<Dtos.ApplyItem> invalid = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < r.jobs().size(); i++) {
      Dtos.JobRequest job = r.jobs().get(i);
      String at = "jobs[" + i + "]";
      try {
        if (job == null) throw ApiError.badRequest(null, "a job must be a JSON object");
        JobSpec spec = JobSpecs.toSpec(job, null, now).withManagedBy(owner);
        if (!names.add(spec.name())) {
          throw ApiError.badRequest("name", "job '" + spec.name() + "' is listed twice");
        }
        specs.add(spec);
      } catch (ApiError e) {
        String field = e.field() == null ? at : at + "." + e.field();
        invalid.add(
            new Dtos.ApplyItem(
                job == null ? null : job.name(), "invalid", field, e.getMessage(), null));
      }
    }
    if (!invalid.isEmpty()) {
      String why = invalid.size() + " of " + r.jobs().size() + " jobs are invalid";
      return complete(refused(400, why, owner, dryRun, invalid));
    }
    return completeWithFuture(
        missingReferences(specs)
            .thenCompose(
                missing ->
                    missing.isEmpty()
                        ? applyValid(specs, names, owner, prune, dryRun)
                        : CompletableFuture.completedFuture(
                            refused(
                                400,
                                missing.size()
                                    + " jobs name channels or calendars that do not exist",
                                owner,
                                dryRun,
                                missing))));
  }

  /**
   * The jobs that name a channel or a calendar that does not exist, each with its first such name:
   * refused as a single job's create refuses them.
   */
  private CompletionStage<List<Dtos.ApplyItem>> missingReferences(List<JobSpec> specs) {
    List<String> channelNames =
        specs.stream()
            .flatMap(s -> s.notifyRules().stream().map(NotifyRule::channel))
            .distinct()
            .toList();
    List<String> calendarNames =
        specs.stream().flatMap(s -> s.excludeCalendars().stream()).distinct().toList();
    if (channelNames.isEmpty() && calendarNames.isEmpty()) {
      return CompletableFuture.completedFuture(List.of());
    }
    return stores.async(
        () -> {
          Set<String> channelsThere =
              new HashSet<>(channelNames.isEmpty() ? List.of() : channels.existing(channelNames));
          Set<String> calendarsThere = new HashSet<>();
          for (String name : calendarNames) {
            if (stores.calendars().find(name).isPresent()) calendarsThere.add(name);
          }
          List<Dtos.ApplyItem> missing = new ArrayList<>();
          for (int i = 0; i < specs.size(); i++) {
            Dtos.ApplyItem item = firstMissing(i, specs.get(i), channelsThere, calendarsThere);
            if (item != null) missing.add(item);
          }
          return missing;
        });
  }

  private static Dtos.ApplyItem firstMissing(
      int i, JobSpec spec, Set<String> channels, Set<String> calendars) {
    List<NotifyRule> rules = spec.notifyRules();
    for (int j = 0; j < rules.size(); j++) {
      String channel = rules.get(j).channel();
      if (!channels.contains(channel)) {
        return new Dtos.ApplyItem(
            spec.name(),
            "invalid",
            "jobs[" + i + "].notify[" + j + "].channel",
            "no channel '" + channel + "'",
            null);
      }
    }
    List<String> excluded = spec.excludeCalendars();
    for (int j = 0; j < excluded.size(); j++) {
      if (!calendars.contains(excluded.get(j))) {
        return new Dtos.ApplyItem(
            spec.name(),
            "invalid",
            "jobs[" + i + "].excludeCalendars[" + j + "]",
            "calendar '" + excluded.get(j) + "' not found",
            null);
      }
    }
    return null;
  }

  private CompletionStage<HttpResponse> applyValid(
      List<JobSpec> specs, Set<String> names, String owner, boolean prune, boolean dryRun) {
    return index
        .owners(names)
        .thenCompose(
            owners -> {
              List<Dtos.ApplyItem> taken = new ArrayList<>();
              for (JobSpec s : specs) {
                String other = owners.get(s.name());
                if (other != null && !other.equals(owner)) {
                  taken.add(
                      conflict(s.name(), "job '" + s.name() + "' is managed by '" + other + "'"));
                }
              }
              if (!taken.isEmpty()) {
                String why = taken.size() + " of " + specs.size() + " jobs have another owner";
                return CompletableFuture.completedFuture(refused(409, why, owner, dryRun, taken));
              }
              return bulk.apply(specs, owner, prune, dryRun)
                  .thenApply(results -> answer(results, specs, owner, dryRun));
            });
  }

  private static String owner(String managedBy) {
    if (managedBy == null || managedBy.isBlank()) {
      throw ApiError.badRequest("managedBy", "managedBy is required: who applies these jobs");
    }
    if (!OWNER.matcher(managedBy).matches()) {
      throw ApiError.badRequest(
          "managedBy",
          "managedBy must be 1 to 200 letters, digits and . _ : / @ + = -, starting with a letter"
              + " or digit");
    }
    return managedBy;
  }

  private HttpResponse answer(
      List<BulkApply.Result> results, List<JobSpec> specs, String owner, boolean dryRun) {
    Map<String, JobSpec> applied = new HashMap<>();
    specs.forEach(s -> applied.put(s.name(), s));
    Map<String, Integer> summary = summary();
    List<Dtos.ApplyItem> items = new ArrayList<>();
    boolean conflicts = false;
    for (BulkApply.Result r : results) {
      if (r.reply() instanceof JobEntity.Applied a) {
        String outcome = a.outcome().name().toLowerCase(Locale.ROOT);
        summary.merge(outcome, 1, Integer::sum);
        List<String> changed =
            a.replaced() == null
                ? null
                : SpecChanges.between(a.replaced(), applied.get(r.name()), json.mapper());
        items.add(new Dtos.ApplyItem(r.name(), outcome, null, null, changed));
      } else {
        // Another owner took the job between the check and the apply.
        JobEntity.Rejected rejected = (JobEntity.Rejected) r.reply();
        items.add(conflict(r.name(), rejected.message()));
        conflicts = true;
      }
    }
    String error = conflicts ? "some jobs have another owner; the rest were applied" : null;
    return json.response(
        conflicts ? 409 : 200,
        new Dtos.ApplyResult(error, conflicts ? "jobs" : null, owner, dryRun, summary, items));
  }

  private HttpResponse refused(
      int status, String why, String owner, boolean dryRun, List<Dtos.ApplyItem> items) {
    return json.response(
        status,
        new Dtos.ApplyResult(
            why + "; nothing was applied", items.get(0).field(), owner, dryRun, summary(), items));
  }

  private static Dtos.ApplyItem conflict(String name, String message) {
    return new Dtos.ApplyItem(name, "conflict", "managedBy", message, null);
  }

  private static Map<String, Integer> summary() {
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (JobEntity.Outcome o : JobEntity.Outcome.values()) {
      counts.put(o.name().toLowerCase(Locale.ROOT), 0);
    }
    return counts;
  }
}
