package io.distcron.alert;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.distcron.config.DistcronSettings;
import io.distcron.store.ChannelStore;
import io.distcron.store.Outbox;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Sends the outbox's due alerts, blocking: one pass at a time, on any node. Each row is claimed
 * before it is sent, so two nodes do not send it at once; a claim expires, so a node that dies
 * mid-send leaves the row to another. A failed send is retried with exponential backoff; after one
 * failure a channel gets no more sends in the same pass, so a dead receiver costs one timeout per
 * pass, and alerts for other channels go out meanwhile. Runs never wait on any of this.
 */
public final class AlertDelivery {
  private static final int BATCH = 50;

  /** The outcome of a test send: {@code error} null when it was delivered. */
  public record TestResult(boolean delivered, String error, String key) {}

  private final Outbox outbox;
  private final ChannelStore channels;
  private final Senders senders;
  private final ObjectMapper json;
  private final String node;
  private final DistcronSettings.Alerts settings;
  private final Clock clock;

  public AlertDelivery(
      Outbox outbox,
      ChannelStore channels,
      Senders senders,
      ObjectMapper json,
      String node,
      DistcronSettings.Alerts settings,
      Clock clock) {
    this.outbox = outbox;
    this.channels = channels;
    this.senders = senders;
    this.json = json;
    this.node = node;
    this.settings = settings;
    this.clock = clock;
  }

  /** One pass over what is due now; returns how many alerts it delivered. */
  public int deliverDue() {
    int delivered = 0;
    Set<String> failing = new HashSet<>();
    Map<String, Optional<Channel>> known = new HashMap<>();
    for (Outbox.Row row : outbox.due(clock.instant(), BATCH)) {
      if (failing.contains(row.channel())) continue;
      Instant now = clock.instant();
      if (!outbox.claim(row, node, now.plus(settings.claim()), now)) continue;
      Optional<Channel> channel =
          known.computeIfAbsent(
              row.channel(), name -> channels.find(name).map(ChannelStore.Stored::channel));
      if (channel.isEmpty()) {
        outbox.dropped(row, "channel '" + row.channel() + "' does not exist", now);
        continue;
      }
      try {
        senders.send(channel.get(), read(row.alert()), row.alert());
        outbox.delivered(row, clock.instant());
        channels.succeeded(row.channel(), clock.instant());
        delivered++;
      } catch (Senders.SendFailed e) {
        Instant at = clock.instant();
        outbox.failed(row, e.getMessage(), at.plus(backoff(row.attempts() + 1)));
        channels.failed(row.channel(), e.getMessage(), at);
        failing.add(row.channel());
      }
    }
    return delivered;
  }

  /** Deletes delivered and dropped alerts older than the configured keep. */
  public int purge() {
    return outbox.purge(clock.instant().minus(settings.keepDelivered()));
  }

  /** Sends a TEST alert to {@code channel} now, and records how it went in its health. */
  public TestResult test(Channel channel) {
    Instant now = clock.instant();
    String key = AlertRules.key("test", channel.name(), 0, UUID.randomUUID().toString());
    Alert alert =
        new Alert(
            key,
            "TEST",
            null,
            null,
            null,
            0,
            node,
            null,
            "channel '" + channel.name() + "' works",
            now);
    String body = write(alert);
    try {
      senders.send(channel, alert, body);
      channels.succeeded(channel.name(), clock.instant());
      return new TestResult(true, null, key);
    } catch (Senders.SendFailed e) {
      channels.failed(channel.name(), e.getMessage(), clock.instant());
      return new TestResult(false, e.getMessage(), key);
    }
  }

  /** After {@code attempts} failed sends: the base backoff doubled per attempt, capped. */
  Duration backoff(int attempts) {
    Duration d = settings.backoff();
    for (int i = 1; i < attempts && d.compareTo(settings.maxBackoff()) < 0; i++)
      d = d.multipliedBy(2);
    return d.compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff() : d;
  }

  private Alert read(String text) {
    try {
      return json.readValue(text, Alert.class);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("an outbox row holds an alert this node wrote", e);
    }
  }

  private String write(Alert alert) {
    try {
      return json.writeValueAsString(alert);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("an alert is plain data", e);
    }
  }
}
