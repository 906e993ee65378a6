package io.distcron.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.distcron.alert.AlertRules;
import io.distcron.alert.NotifyRule;
import io.distcron.run.RunRecord;
import io.distcron.run.RunStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The alerts part of the read-side projection, in its transaction: keeps each job's alert rules and
 * whether its last ended run failed (for RECOVERED), and turns facts about runs into outbox rows.
 * Being in the projection's transaction is what makes an alert decided once: the rows, the job's
 * state and the offset commit together or not at all.
 */
final class AlertJobs {
  private static final TypeReference<List<NotifyRule>> RULES = new TypeReference<>() {};

  /** What one job event means for alerts, in event order. */
  sealed interface Fact permits Rules, Gone, RunFact {
    String job();
  }

  record Rules(String job, List<NotifyRule> rules) implements Fact {}

  record Gone(String job) implements Fact {}

  /** {@code status}: how the run ended (null when it started); {@code at}: when it was written. */
  record RunFact(String job, String runId, AlertRules.Phase phase, RunStatus status, Instant at)
      implements Fact {}

  /** A job's alerting state as the batch goes; {@code known}: its row exists. */
  private static final class JobState {
    List<NotifyRule> rules;
    boolean failing;
    boolean known;
    boolean changed;
    boolean gone;
  }

  private final RunStore runs;
  private final Outbox outbox;
  private final ObjectMapper json;
  private final NotifyRule fallback;

  /** {@code fallback}: the cluster's default rule, or null. */
  AlertJobs(RunStore runs, Outbox outbox, ObjectMapper json, NotifyRule fallback) {
    this.runs = runs;
    this.outbox = outbox;
    this.json = json;
    this.fallback = fallback;
  }

  /** After the batch's run rows are written, so each fact reads its run as the batch left it. */
  void write(Connection c, List<Fact> facts, Instant now) throws SQLException {
    if (facts.isEmpty()) return;
    Map<String, JobState> jobs = new LinkedHashMap<>();
    List<AlertRules.Delivery> deliveries = new ArrayList<>();
    for (Fact fact : facts) {
      JobState job = jobs.get(fact.job());
      if (job == null) {
        job = load(c, fact.job());
        jobs.put(fact.job(), job);
      }
      if (fact instanceof Rules r) {
        job.rules = r.rules();
        job.gone = false;
        job.changed = true;
      } else if (fact instanceof Gone) {
        job.gone = true;
        job.changed = true;
      } else if (fact instanceof RunFact f) {
        if (job.gone) continue;
        boolean failing = job.failing;
        List<NotifyRule> rules = AlertRules.effective(job.rules, fallback);
        // Most jobs have no rules: their runs need no read, only the job's failing flag.
        Optional<RunRecord> run = rules.isEmpty() ? Optional.empty() : runs.find(c, f.runId());
        if (run.isPresent()) {
          AlertRules.Decision d = AlertRules.decide(run.get(), f.phase(), failing, rules, f.at());
          deliveries.addAll(d.deliveries());
          failing = d.failing();
        } else if (f.status() != null) {
          failing = AlertRules.failingAfter(f.status(), failing);
        }
        job.changed |= failing != job.failing;
        job.failing = failing;
      }
    }
    for (Map.Entry<String, JobState> e : jobs.entrySet()) {
      if (e.getValue().changed) save(c, e.getKey(), e.getValue());
    }
    outbox.enqueue(c, deliveries, now);
  }

  /** The jobs whose own rules name {@code channel}. */
  static List<String> jobsNaming(Connection c, String channel) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT job FROM alert_job_channels WHERE channel = ? ORDER BY job LIMIT 20")) {
      ps.setString(1, channel);
      List<String> jobs = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) jobs.add(rs.getString(1));
      }
      return jobs;
    }
  }

  private JobState load(Connection c, String job) throws SQLException {
    JobState s = new JobState();
    s.rules = List.of();
    try (PreparedStatement ps =
        c.prepareStatement("SELECT rules, failing FROM alert_jobs WHERE job = ?")) {
      ps.setString(1, job);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          s.rules = readRules(rs.getString(1));
          s.failing = rs.getBoolean(2);
          s.known = true;
        }
      }
    }
    return s;
  }

  private void save(Connection c, String job, JobState s) throws SQLException {
    try (PreparedStatement del =
        c.prepareStatement("DELETE FROM alert_job_channels WHERE job = ?")) {
      del.setString(1, job);
      del.executeUpdate();
    }
    if (s.gone) {
      try (PreparedStatement del = c.prepareStatement("DELETE FROM alert_jobs WHERE job = ?")) {
        del.setString(1, job);
        del.executeUpdate();
      }
      return;
    }
    String sql =
        s.known
            ? "UPDATE alert_jobs SET rules = ?, failing = ? WHERE job = ?"
            : "INSERT INTO alert_jobs (rules, failing, job) VALUES (?, ?, ?)";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, writeRules(s.rules));
      ps.setBoolean(2, s.failing);
      ps.setString(3, job);
      ps.executeUpdate();
    }
    try (PreparedStatement ins =
        c.prepareStatement("INSERT INTO alert_job_channels (channel, job) VALUES (?, ?)")) {
      for (String channel : s.rules.stream().map(NotifyRule::channel).distinct().toList()) {
        ins.setString(1, channel);
        ins.setString(2, job);
        ins.executeUpdate();
      }
    }
  }

  private List<NotifyRule> readRules(String text) throws SQLException {
    try {
      return json.readValue(text, RULES);
    } catch (JsonProcessingException e) {
      throw new SQLException("unreadable alert rules: " + e.getOriginalMessage(), e);
    }
  }

  private String writeRules(List<NotifyRule> rules) {
    try {
      return json.writeValueAsString(rules);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("rules are plain data", e);
    }
  }
}
